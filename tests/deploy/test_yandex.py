"""The Yandex Cloud Functions handler on events shaped as Yandex documents them: the
function's own URL (no path, base64 bodies) and API Gateway's integration (a path);
the warm loop kept as on Lambda; malformed events a 4xx, never an exception."""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tgserve
from tests.conftest import SECRET, TOKEN
from tests.deploy.yandex_events import YandexContext, event
from tgserve._config import ConfigError
from tgserve._hosts import aws_lambda
from tgserve._hosts.yandex import YandexHandler

pytestmark = pytest.mark.timeout(60)

EVENTS = Path(__file__).parent / "events"
GOOD = {"x-telegram-bot-api-secret-token": SECRET, "content-type": "application/json"}
RESPONSE_KEYS = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text())
    for headers in (data["headers"], data["multiValueHeaders"]):
        name_ = "X-Telegram-Bot-Api-Secret-Token"
        headers[name_] = SECRET if isinstance(headers[name_], str) else [SECRET]
    return data


class Seen:
    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []

    async def __call__(self, update: dict[str, Any], bot: tgserve.BotAPI) -> None:
        self.updates.append(update)


@pytest.fixture
def seen() -> Seen:
    return Seen()


@pytest.fixture
def handler(seen: Seen) -> Iterator[YandexHandler]:
    h = tgserve.yandex(seen, token=TOKEN, secret_token=SECRET, max_body_bytes=65536)
    yield h
    h.close(1.0)


def answer(result: dict[str, Any]) -> tuple[int, Any]:
    assert set(result) == RESPONSE_KEYS
    body = result["body"]
    if result["isBase64Encoded"]:
        body = base64.b64decode(body).decode()
    return result["statusCode"], json.loads(body) if body else None


def test_function_url_event_with_a_base64_body(handler: YandexHandler, seen: Seen) -> None:
    status, _ = answer(handler(load("yandex_direct_base64"), YandexContext()))
    assert status == 200
    assert [u["update_id"] for u in seen.updates] == [501]
    assert seen.updates[0]["message"]["text"] == "привет"  # decoded as UTF-8


def test_api_gateway_event_with_a_path(handler: YandexHandler, seen: Seen) -> None:
    assert answer(handler(load("yandex_gateway"), YandexContext()))[0] == 200
    moved = load("yandex_gateway")
    moved["path"] = moved["url"] = "/elsewhere"
    assert answer(handler(moved, YandexContext()))[0] == 404
    health = event("GET", "/healthz")
    assert answer(handler(health, YandexContext())) == (200, {"ok": True})
    assert [u["update_id"] for u in seen.updates] == [502]


def test_url_without_path_field(handler: YandexHandler, seen: Seen) -> None:
    ev = load("yandex_gateway")
    del ev["path"]
    ev["url"] = "/webhook?from=gateway"
    assert answer(handler(ev, YandexContext()))[0] == 200


def test_info_on_the_function_url(handler: YandexHandler) -> None:
    status, body = answer(handler(event("GET", None), YandexContext()))
    assert status == 200 and body["ok"] is True
    assert TOKEN not in json.dumps(body) and SECRET not in json.dumps(body)


def test_duplicates_and_refusals(handler: YandexHandler, seen: Seen) -> None:
    ev = load("yandex_direct_base64")
    for _ in range(3):
        assert answer(handler(copy.deepcopy(ev), YandexContext()))[0] == 200
    assert len(seen.updates) == 1
    assert answer(handler(event("POST", None, {}, b'{"update_id": 1}'), None))[0] == 401
    assert answer(handler(event("POST", None, GOOD, b"{", base64_body=True), None))[0] == 400
    bad64 = event("POST", None, GOOD, b"")
    bad64.update(body="%%% not base64", isBase64Encoded=True)
    assert answer(handler(bad64, None)) == (400, {"ok": False, "error": "body is not valid base64"})
    huge = event("POST", None, GOOD, b'{"update_id": 2, "x": "' + b"y" * 70000 + b'"}')
    assert answer(handler(huge, None))[0] == 413
    assert len(seen.updates) == 1


def test_warm_loop_is_the_lambda_hosts_loop(handler: YandexHandler, seen: Seen) -> None:
    handler(event("POST", None, GOOD, b'{"update_id": 1}'), YandexContext())
    loop = handler.loop
    assert loop is not None and loop is aws_lambda._shared_runner().get_loop()
    for n in range(2, 6):
        handler(event("POST", None, GOOD, json.dumps({"update_id": n}).encode()), YandexContext())
    assert handler.loop is loop and not loop.is_closed()
    assert [u["update_id"] for u in seen.updates] == [1, 2, 3, 4, 5]


def test_deadline_from_the_context() -> None:
    import asyncio

    async def slow(update: dict[str, Any], bot: tgserve.BotAPI) -> None:
        await asyncio.sleep(30)

    h = tgserve.yandex(slow, token=TOKEN, timeout_margin=0.5)
    try:
        result = h(event("POST", None, {}, b'{"update_id": 1}'), YandexContext(timeout=1.2))
        assert result["statusCode"] == 503
    finally:
        h.close(0.5)


def test_background_is_refused() -> None:
    with pytest.raises(ConfigError, match="Yandex Cloud Functions"):
        tgserve.yandex(Seen(), token=TOKEN, ack="background")


@pytest.mark.parametrize(
    "ev",
    [
        None,
        [],
        "POST",
        {},
        {"body": "{}"},
        {"httpMethod": 5},
        {"httpMethod": ""},
        {"httpMethod": "POST", "headers": "x"},
        {"httpMethod": "POST", "requestContext": []},
        {"httpMethod": "POST", "multiValueHeaders": 3},
        {"httpMethod": "POST", "body": 12, "headers": GOOD},
        {"httpMethod": "POST", "body": {"update_id": "x"}, "headers": GOOD},
    ],
)
def test_malformed_events_are_400(handler: YandexHandler, seen: Seen, ev: Any) -> None:
    status, body = answer(handler(ev, None))
    assert status == 400 and body["ok"] is False and isinstance(body["error"], str)
    assert seen.updates == []


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
fields = st.fixed_dictionaries(
    {},
    optional={
        "httpMethod": st.sampled_from(["POST", "GET", "PUT", "post", ""]) | json_values,
        "headers": st.just(GOOD) | json_values,
        "multiValueHeaders": st.just({k: [v] for k, v in GOOD.items()}) | json_values,
        "body": st.just('{"update_id": 7}') | st.text(max_size=40) | json_values,
        "isBase64Encoded": st.booleans() | json_values,
        "requestContext": st.just({"identity": {"sourceIp": "1.2.3.4"}}) | json_values,
        "path": st.sampled_from(["/webhook", "/healthz", "/", ""]) | json_values,
        "url": st.text(max_size=20) | json_values,
    },
)


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(ev=fields | json_values)
def test_fuzzed_events_never_raise(handler: YandexHandler, ev: Any) -> None:
    result = handler(ev, None)
    assert set(result) == RESPONSE_KEYS
    assert result["statusCode"] in {200, 400, 401, 404, 405, 413, 415}, (ev, result)
    assert "Traceback" not in result["body"] and SECRET not in result["body"]

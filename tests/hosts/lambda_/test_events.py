"""Every fixture event through every route, answered in its own source's shape."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from tests.conftest import SECRET, TOKEN
from tests.hosts.lambda_.helpers import NAMES, SHAPES, body_of, headers_of, load, retarget

import tgserve
from tgserve._hosts.aws_lambda import LambdaHandler
from tgserve._hosts.lambda_samples import LocalContext

pytestmark = pytest.mark.timeout(30)


class Seen:
    def __init__(self) -> None:
        self.ids: list[int] = []

    async def __call__(self, update: dict[str, Any], bot: tgserve.BotAPI) -> None:
        self.ids.append(update["update_id"])


@pytest.fixture
def seen() -> Seen:
    return Seen()


@pytest.fixture(params=NAMES)
def name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def handler(name: str, seen: Seen) -> Iterator[LambdaHandler]:
    base = "/bot" if name == "rest_v1_custom_domain" else None
    h = tgserve.aws_lambda(seen, token=TOKEN, secret_token=SECRET, base_path=base)
    yield h
    h.close(1.0)


def call(handler: LambdaHandler, event: dict[str, Any]) -> dict[str, Any]:
    return handler(event, LocalContext(10))


def test_fixture_as_saved_is_an_update_handled_once(
    name: str, handler: LambdaHandler, seen: Seen
) -> None:
    event = load(name)
    if name == "console_test":  # the console's bare event carries no secret header
        event = retarget(name, "POST", "/webhook")
    for _ in range(2):
        result = call(handler, event)
        assert set(result) == SHAPES[name]
        assert result["statusCode"] == 200, result
        assert json.loads(body_of(result)) == {}
        assert headers_of(result)["content-type"] == "application/json"
    assert seen.ids == [1001]


ROUTES = [
    ("GET", "/webhook", SECRET, None, 200),
    ("GET", "/healthz", None, None, 200),
    ("GET", "/readyz", None, None, 200),
    ("HEAD", "/healthz", None, None, 200),
    ("POST", "/webhook", None, None, 401),
    ("POST", "/webhook", "wrong-secret", None, 401),
    ("POST", "/nope", SECRET, None, 404),
    ("PUT", "/webhook", SECRET, None, 405),
    ("POST", "/healthz", SECRET, None, 405),
    ("POST", "/webhook", SECRET, b"not json", 400),
    ("POST", "/webhook", SECRET, b'{"message": {}}', 400),
]


@pytest.mark.parametrize(("method", "route", "secret", "body", "status"), ROUTES)
def test_routes(
    name: str,
    handler: LambdaHandler,
    seen: Seen,
    method: str,
    route: str,
    secret: str | None,
    body: bytes | None,
    status: int,
) -> None:
    result = call(handler, retarget(name, method, route, secret=secret, body=body))
    assert set(result) == SHAPES[name]
    assert result["statusCode"] == status, result
    payload = body_of(result)
    if method == "HEAD":
        assert payload == b""
    else:
        data = json.loads(payload)
        assert data["ok"] is (status == 200)
        assert SECRET not in payload.decode()
    if status == 405:
        assert "POST" in headers_of(result)["allow"] or "GET" in headers_of(result)["allow"]
    if "statusDescription" in result:
        assert result["statusDescription"].startswith(f"{status} ")
    assert seen.ids == []


def test_info_names_the_lambda_host(handler: LambdaHandler, name: str) -> None:
    info = json.loads(body_of(call(handler, retarget(name, "GET", "/webhook"))))
    assert info["host"] == "aws_lambda" and info["ack"] == "inline"


def test_bare_console_event_without_a_secret(seen: Seen) -> None:
    handler = tgserve.aws_lambda(seen, token=TOKEN)
    try:
        result = handler(load("console_test"), None)
    finally:
        handler.close(1.0)
    assert result["statusCode"] == 200 and seen.ids == [1001]


def test_console_body_pasted_as_an_object(seen: Seen) -> None:
    event = load("console_test")
    event["body"] = json.loads(event["body"])
    handler = tgserve.aws_lambda(seen, token=TOKEN)
    try:
        assert handler(event, None)["statusCode"] == 200
    finally:
        handler.close(1.0)
    assert seen.ids == [1001]


def test_client_address_from_each_source(name: str, seen: Seen) -> None:
    """The allow-list sees the source's client address (ALB: the right-most forwarded hop);
    the console's bare event has none, so an allow-list refuses it."""
    base = "/bot" if name == "rest_v1_custom_domain" else None
    allowed = tgserve.aws_lambda(seen, token=TOKEN, allowed_ips="telegram", base_path=base)
    refused = tgserve.aws_lambda(seen, token=TOKEN, allowed_ips="10.9.9.9", base_path=base)
    event = retarget(name, "POST", "/webhook", secret="x")
    try:
        expected = 403 if name == "console_test" else 200
        assert call(allowed, event)["statusCode"] == expected
        assert call(refused, event)["statusCode"] == 403
    finally:
        allowed.close(1.0)
        refused.close(1.0)

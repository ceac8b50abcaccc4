"""Events that are not what they should be: a clear 4xx each, never an exception."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from tests.conftest import SECRET, TOKEN, LogWatch
from tests.hosts.lambda_.helpers import body_of, load, retarget

import tgserve
from tgserve._hosts.aws_lambda import LambdaHandler

pytestmark = pytest.mark.timeout(30)


async def never(update: dict[str, Any], bot: tgserve.BotAPI) -> None:
    raise AssertionError("a bad event reached the bot")


@pytest.fixture
def handler() -> Iterator[LambdaHandler]:
    h = tgserve.aws_lambda(never, token=TOKEN, secret_token=SECRET, max_body_bytes=65536)
    yield h
    h.close(1.0)


def status_and_error(result: dict[str, Any]) -> tuple[int, str]:
    payload = json.loads(body_of(result))
    assert payload["ok"] is False
    return result["statusCode"], payload["error"]


@pytest.mark.parametrize("event", [{}, [], None, "POST /webhook", 42, {"body": "{}"}])
def test_unknown_shape_is_400_in_the_v2_shape_with_one_log_line(
    handler: LambdaHandler, logwatch: LogWatch, event: Any
) -> None:
    result = handler(event, None)
    assert set(result) == {"statusCode", "headers", "body", "isBase64Encoded"}
    assert status_and_error(result) == (400, "not an HTTP event")
    lines = [line for line in logwatch.lines if "not an HTTP event" in line]
    assert len(lines) == 1
    if isinstance(event, dict):
        assert "no httpMethod" in lines[0] and "no requestContext.http" in lines[0]
    else:
        assert f"event is a {type(event).__name__}" in lines[0]


def test_missing_fields_are_named(handler: LambdaHandler) -> None:
    http = load("http_v2")
    del http["requestContext"]["http"]["method"]
    assert status_and_error(handler(http, None)) == (
        400,
        "bad event: requestContext.http.method missing or not a string",
    )
    rest = load("rest_v1")
    rest["path"] = None
    assert status_and_error(handler(rest, None)) == (400, "bad event: path missing or not a string")
    alb = load("alb")
    alb["httpMethod"] = 7
    assert status_and_error(handler(alb, None))[0] == 400


@pytest.mark.parametrize("name", ["rest_v1", "http_v2", "alb"])
def test_missing_body(handler: LambdaHandler, name: str) -> None:
    event = retarget(name, "POST", "/webhook")
    event.pop("body")
    assert status_and_error(handler(event, None)) == (400, "body is not valid JSON")


@pytest.mark.parametrize("name", ["rest_v1", "http_v2", "alb_multi"])
def test_body_not_json(handler: LambdaHandler, name: str) -> None:
    event = retarget(name, "POST", "/webhook", body=b"update_id=1")
    assert status_and_error(handler(event, None)) == (400, "body is not valid JSON")


@pytest.mark.parametrize("body", ["not base64!", "QUJ", "QQ", "QU\nJD"])
def test_base64_that_does_not_decode(handler: LambdaHandler, body: str) -> None:
    event = retarget("http_v2_base64", "POST", "/webhook")
    event["body"] = body
    assert status_and_error(handler(event, None)) == (400, "body is not valid base64")


def test_bad_base64_without_the_secret_is_401_first(handler: LambdaHandler) -> None:
    event = retarget("http_v2_base64", "POST", "/webhook", secret=None)
    event["body"] = "%%%"
    assert status_and_error(handler(event, None))[0] == 401


@pytest.mark.parametrize("name", ["rest_v1", "http_v2", "http_v2_base64", "alb"])
def test_huge_body(handler: LambdaHandler, name: str) -> None:
    update = {"update_id": 1, "message": {"text": "x" * 5_000_000}}
    event = retarget(name, "POST", "/webhook", body=json.dumps(update).encode())
    code, message = status_and_error(handler(event, None))
    assert code == 413 and "65536" in message


def test_body_of_another_type(handler: LambdaHandler) -> None:
    event = retarget("http_v2", "POST", "/webhook")
    event["body"] = 12
    assert status_and_error(handler(event, None)) == (400, "event body must be a string")


def test_lone_surrogate_in_body(handler: LambdaHandler) -> None:
    event = retarget("http_v2", "POST", "/webhook")
    event["body"] = '{"update_id": 1, "x": "\ud800"}'
    assert status_and_error(handler(event, None)) == (400, "body is not valid UTF-8")


def test_headers_of_odd_shapes(handler: LambdaHandler) -> None:
    event = retarget("rest_v1", "GET", "/healthz")
    event["headers"] = None
    event["multiValueHeaders"] = None
    assert handler(event, None)["statusCode"] == 200
    event["multiValueHeaders"] = {"X-Odd": "not a list", "X-None": [None]}
    assert handler(event, None)["statusCode"] == 200


def test_a_bad_event_is_refused_and_counted_by_the_core(handler: LambdaHandler) -> None:
    handler({}, None)  # no known shape
    http = load("http_v2")
    del http["requestContext"]["http"]["method"]
    handler(http, None)  # a known shape with a field missing
    event = retarget("http_v2_base64", "POST", "/webhook")
    event["body"] = "QUJ"
    handler(event, None)  # the body step's own 400
    info = json.loads(body_of(handler(retarget("http_v2", "GET", "/webhook"), None)))
    assert info["counts"] == {"rejected_400": 3}

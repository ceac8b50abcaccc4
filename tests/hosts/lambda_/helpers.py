"""Fixture events and what to do with them: load, retarget to a route, read the answer."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

from tests.conftest import SECRET

EVENTS = Path(__file__).parent / "events"
SECRET_HEADER = "x-telegram-bot-api-secret-token"
# the path prefix each fixture carries in front of the route
PREFIX = {"http_v1_stage": "/dev", "http_v2_stage": "/prod", "rest_v1_custom_domain": "/bot"}
# the answer's keys by fixture
V1 = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}
V2 = {"statusCode", "headers", "body", "isBase64Encoded"}
ALB = {"statusCode", "statusDescription", "headers", "body", "isBase64Encoded"}
ALB_MULTI = {"statusCode", "statusDescription", "multiValueHeaders", "body", "isBase64Encoded"}
SHAPES = {
    "rest_v1": V1,
    "rest_v1_custom_domain": V1,
    "http_v1_stage": V1,
    "console_test": V1,
    "http_v2": V2,
    "http_v2_stage": V2,
    "http_v2_base64": V2,
    "function_url": V2,
    "alb": ALB,
    "alb_multi": ALB_MULTI,
}
NAMES = sorted(SHAPES)


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text())
    return data


def _drop(event: dict[str, Any], header: str) -> None:
    for key in ("headers", "multiValueHeaders"):
        block = event.get(key)
        if isinstance(block, dict):
            for name in [n for n in block if n.lower() == header]:
                del block[name]


def _set(event: dict[str, Any], header: str, value: str) -> None:
    _drop(event, header)
    multi = event.get("multiValueHeaders")
    if isinstance(multi, dict):
        multi[header] = [value]
    if isinstance(event.get("headers"), dict) or not isinstance(multi, dict):
        event.setdefault("headers", {})[header] = value


def retarget(
    name: str,
    method: str,
    route: str,
    *,
    secret: str | None = SECRET,
    body: bytes | None = None,
) -> dict[str, Any]:
    """Fixture ``name`` turned into ``method route`` (prefix kept), with the secret and body."""
    event = copy.deepcopy(load(name))
    full = PREFIX.get(name, "") + route
    if "httpMethod" in event:
        event["httpMethod"] = method
        event["path"] = full
    else:
        event["requestContext"]["http"]["method"] = method
        event["requestContext"]["http"]["path"] = full
        event["rawPath"] = full
    if secret is None:
        _drop(event, SECRET_HEADER)
    else:
        _set(event, SECRET_HEADER, secret)
    if body is not None:
        _drop(event, "content-length")
        if event.get("isBase64Encoded"):
            event["body"] = base64.b64encode(body).decode()
        else:
            event["body"] = body.decode()
    return event


def body_of(result: dict[str, Any]) -> bytes:
    raw: str = result["body"]
    return base64.b64decode(raw) if result["isBase64Encoded"] else raw.encode()


def headers_of(result: dict[str, Any]) -> dict[str, str]:
    if "multiValueHeaders" in result and "headers" not in result:
        return {k: ", ".join(v) for k, v in result["multiValueHeaders"].items()}
    out: dict[str, str] = result["headers"]
    return out

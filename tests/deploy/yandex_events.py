"""Yandex Cloud Functions HTTP-integration events, shaped as Yandex documents them."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Mapping
from typing import Any


class YandexContext:
    """What a handler reads from Yandex's context: a request id and the time left."""

    function_name = "d4e-tgserve"
    function_version = "d4e-v1"
    memory_limit_in_mb = 128

    def __init__(self, timeout: float = 10.0) -> None:
        self.request_id = str(uuid.uuid4())
        self._ends = time.monotonic() + timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._ends - time.monotonic()) * 1000))


def event(
    method: str,
    path: str | None,
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
    *,
    client: str = "149.154.167.220",
    base64_body: bool | None = None,
) -> dict[str, Any]:
    """One request as Yandex hands it over: ``path`` ``None`` is the function's own URL
    (no path in the event); a path is API Gateway's integration (``path`` and ``url``)."""
    names = {"-".join(p.capitalize() for p in k.split("-")): v for k, v in (headers or {}).items()}
    if base64_body is None:
        try:
            text, encoded = body.decode("utf-8"), False
        except UnicodeDecodeError:
            text, encoded = base64.b64encode(body).decode("ascii"), True
    else:
        encoded = base64_body
        text = base64.b64encode(body).decode("ascii") if encoded else body.decode("utf-8")
    out: dict[str, Any] = {
        "httpMethod": method,
        "headers": dict(names),
        "multiValueHeaders": {k: [v] for k, v in names.items()},
        "queryStringParameters": {},
        "multiValueQueryStringParameters": {},
        "requestContext": {
            "identity": {"sourceIp": client, "userAgent": "TelegramBot (like TwitterBot)"},
            "httpMethod": method,
            "requestId": str(uuid.uuid4()),
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
            "requestTimeEpoch": int(time.time()),
        },
        "body": text,
        "isBase64Encoded": encoded,
    }
    if path is not None:
        out.update(path=path, url=path, params={}, pathParams={}, multiValueParams={})
    return out

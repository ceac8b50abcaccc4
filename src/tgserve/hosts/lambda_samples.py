"""Sample Lambda events of every HTTP source, and a local stand-in for Lambda's context.

Used by ``tgserve lambda event`` and ``tgserve lambda invoke``, and by tests that drive
the handler as Lambda would.
"""

from __future__ import annotations

import base64
import itertools
import time
import uuid
from collections.abc import Mapping
from typing import Any, Literal

Source = Literal["rest", "http", "http-v1", "url", "alb", "alb-multi"]
SOURCES: tuple[Source, ...] = ("rest", "http", "http-v1", "url", "alb", "alb-multi")
_API_ID = "abcdef1234"
_counter = itertools.count(1)


class LocalContext:
    """What a handler reads from Lambda's context: a request id and the time left."""

    function_name = "tgserve-local"
    memory_limit_in_mb = 512

    def __init__(self, timeout: float = 30.0, request_id: str | None = None) -> None:
        self.aws_request_id = request_id or str(uuid.uuid4())
        self._ends = time.monotonic() + timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._ends - time.monotonic()) * 1000))


def _body(body: bytes, force_base64: bool) -> tuple[str, bool]:
    if not force_base64:
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode("ascii"), True


def _canonical(name: str) -> str:
    return "-".join(part.capitalize() for part in name.split("-"))


def event(
    source: Source,
    method: str,
    path: str,
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
    *,
    client: str = "149.154.167.220",
    stage: str | None = None,
    base64_body: bool = False,
) -> dict[str, Any]:
    """A real-shaped event of ``source`` carrying one HTTP request.

    ``stage`` puts a named stage in front of the path where that source does (HTTP API);
    REST's ``path`` never carries it.
    """
    headers = dict(headers or {})
    if body:
        headers.setdefault("content-length", str(len(body)))
    text, encoded = _body(body, base64_body)
    n = next(_counter)
    request_id = f"c6af9ac6-7b61-11e6-9a41-{n:012d}"
    epoch = int(time.time() * 1000)
    if source == "rest" or source == "http-v1":
        named = {_canonical(k): v for k, v in headers.items()}
        http_api = source == "http-v1"
        stage = stage or ("$default" if http_api else "prod")
        shown = f"/{stage}{path}" if http_api and stage != "$default" else path
        return {
            **({"version": "1.0"} if http_api else {}),
            "resource": "$default" if http_api else "/{proxy+}",
            "path": shown,
            "httpMethod": method,
            "headers": named,
            "multiValueHeaders": {k: [v] for k, v in named.items()},
            "queryStringParameters": None,
            "multiValueQueryStringParameters": None,
            "pathParameters": None if http_api else {"proxy": path.lstrip("/")},
            "stageVariables": None,
            "requestContext": {
                "accountId": "123456789012",
                "apiId": _API_ID,
                "domainName": f"{_API_ID}.execute-api.eu-west-1.amazonaws.com",
                "domainPrefix": _API_ID,
                "extendedRequestId": f"LgLpnibOFiAEPCA={n}",
                "httpMethod": method,
                "identity": {"sourceIp": client, "userAgent": None, "user": None},
                "path": f"/{stage}{path}" if stage != "$default" else path,
                "protocol": "HTTP/1.1",
                "requestId": request_id,
                "requestTimeEpoch": epoch,
                "resourcePath": "$default" if http_api else "/{proxy+}",
                "stage": stage,
            },
            "body": text if body else None,
            "isBase64Encoded": encoded,
        }
    if source in ("http", "url"):
        stage = stage or "$default"
        domain = (
            f"{_API_ID}.lambda-url.eu-west-1.on.aws"
            if source == "url"
            else f"{_API_ID}.execute-api.eu-west-1.amazonaws.com"
        )
        raw_path = f"/{stage}{path}" if stage != "$default" else path
        out: dict[str, Any] = {
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": raw_path,
            "rawQueryString": "",
            "headers": {k.lower(): v for k, v in headers.items()},
            "requestContext": {
                "accountId": "123456789012" if source == "http" else "anonymous",
                "apiId": _API_ID,
                "domainName": domain,
                "domainPrefix": _API_ID,
                "http": {
                    "method": method,
                    "path": raw_path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": client,
                    "userAgent": "",
                },
                "requestId": request_id,
                "routeKey": "$default",
                "stage": stage,
                "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
                "timeEpoch": epoch,
            },
            "isBase64Encoded": encoded,
        }
        if body:
            out["body"] = text
        return out
    lower = {k.lower(): v for k, v in headers.items()}
    lower["x-forwarded-for"] = client
    alb: dict[str, Any] = {
        "requestContext": {
            "elb": {
                "targetGroupArn": (
                    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:"
                    "targetgroup/tgserve/6d0ecf831eec9f09"
                )
            }
        },
        "httpMethod": method,
        "path": path,
        "body": text,
        "isBase64Encoded": encoded,
    }
    if source == "alb-multi":
        alb["multiValueQueryStringParameters"] = {}
        alb["multiValueHeaders"] = {k: [v] for k, v in lower.items()}
    else:
        alb["queryStringParameters"] = {}
        alb["headers"] = lower
    return alb

"""Lambda HTTP event sources: each one recognises its own event shape (``infer``), reads the
request out of it, and shapes a :class:`~tgserve._gate.Response` the way its source expects.

Sources: API Gateway REST (payload 1.0, also HTTP API's 1.0 payload and the test
console's bare event), HTTP API payload 2.0 and Lambda Function URLs, and ALB.
"""

from __future__ import annotations

import base64
import dataclasses
import http
import time
from collections.abc import Mapping
from typing import Any, ClassVar, Protocol

from tgserve._gate import Response, header_map


class EventError(ValueError):
    """The event is not an HTTP event this host understands; the message says what is missing."""


@dataclasses.dataclass(frozen=True, slots=True)
class Incoming:
    """The request parts of an event; the body as the event holds it, not yet decoded."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    base64: bool
    client: str | None


class EventSource(Protocol):
    """One kind of Lambda HTTP event."""

    name: ClassVar[str]

    @classmethod
    def infer(cls, event: Mapping[str, Any]) -> bool: ...

    def __init__(self, event: Mapping[str, Any]) -> None: ...

    def incoming(self, base_path: str) -> Incoming: ...

    def response(self, response: Response, *, head: bool = False) -> dict[str, Any]: ...

    @classmethod
    def sample(cls, request: Sample) -> dict[str, Any]: ...


@dataclasses.dataclass(frozen=True, slots=True)
class Sample:
    """One HTTP request to shape as a source's sample event (``tgserve lambda event``,
    tests); each source's ``sample`` builds its own event from it."""

    method: str
    path: str
    headers: dict[str, str]
    body: str  # as the event holds it: text, or base64 when ``base64``
    base64: bool
    client: str
    stage: str | None
    request_id: str
    epoch_ms: int
    variant: str  # the source's own form: "rest"/"http-v1", "http"/"url", "alb"/"alb-multi"


SAMPLE_API_ID = "abcdef1234"


def _canonical(name: str) -> str:
    return "-".join(part.capitalize() for part in name.split("-"))


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(event: Mapping[str, Any], key: str, where: str = "") -> str:
    value = event.get(key)
    if not isinstance(value, str) or not value:
        raise EventError(f"{where}{key} missing or not a string")
    return value


def _headers(event: Mapping[str, Any]) -> dict[str, str]:
    """By the core's one rule (:func:`~tgserve._gate.header_map`); multiValueHeaders win."""
    multi = event.get("multiValueHeaders")
    if isinstance(multi, Mapping) and multi:
        return header_map(
            (str(name), str(v))
            for name, values in multi.items()
            for v in (values if isinstance(values, list) else [values])
            if v is not None
        )
    return header_map(
        (str(k), str(v)) for k, v in _dict(event.get("headers")).items() if v is not None
    )


def _incoming(
    event: Mapping[str, Any],
    method: str,
    path: str,
    client: Any,
    headers: dict[str, str] | None = None,
) -> Incoming:
    """Every shape keeps the headers, the body and its encoding under the same keys."""
    return Incoming(
        method.upper(),
        path,
        _headers(event) if headers is None else headers,
        event.get("body"),
        event.get("isBase64Encoded") is True,
        client if isinstance(client, str) else None,
    )


def _strip(path: str, prefix: str) -> str:
    prefix = prefix.rstrip("/")
    if prefix and (path == prefix or path.startswith(prefix + "/")):
        return path[len(prefix) :] or "/"
    return path


def _body(response: Response, head: bool) -> tuple[str, bool]:
    if head or not response.body:
        return "", False
    try:
        return response.body.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(response.body).decode("ascii"), True


def _single(response: Response) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in response.headers:
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


def _multi(response: Response) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in response.headers:
        out.setdefault(name, []).append(value)
    return out


class RestV1:
    """API Gateway REST API, HTTP API with payload 1.0, and the console's bare test event.

    REST's ``path`` carries no stage; HTTP API's 1.0 ``path`` does, for a named stage.
    """

    name: ClassVar[str] = "rest"

    def __init__(self, event: Mapping[str, Any]) -> None:
        self.event = event
        self.http_api = event.get("version") == "1.0"

    @classmethod
    def infer(cls, event: Mapping[str, Any]) -> bool:
        return "httpMethod" in event and "elb" not in _dict(event.get("requestContext"))

    def incoming(self, base_path: str) -> Incoming:
        context = _dict(self.event.get("requestContext"))
        path = _text(self.event, "path")
        stage = context.get("stage")
        if self.http_api and isinstance(stage, str) and stage != "$default":
            path = _strip(path, "/" + stage)
        source_ip = _dict(context.get("identity")).get("sourceIp")
        method = _text(self.event, "httpMethod")
        return _incoming(self.event, method, _strip(path, base_path), source_ip)

    def response(self, response: Response, *, head: bool = False) -> dict[str, Any]:
        body, encoded = _body(response, head)
        return {
            "statusCode": response.status,
            "headers": _single(response),
            "multiValueHeaders": _multi(response),
            "body": body,
            "isBase64Encoded": encoded,
        }

    @classmethod
    def sample(cls, request: Sample) -> dict[str, Any]:
        """A REST API event (``rest``) or an HTTP API payload 1.0 event (``http-v1``)."""
        named = {_canonical(k): v for k, v in request.headers.items()}
        http_api = request.variant == "http-v1"
        stage = request.stage or ("$default" if http_api else "prod")
        path = request.path
        shown = f"/{stage}{path}" if http_api and stage != "$default" else path
        api = SAMPLE_API_ID
        return {
            **({"version": "1.0"} if http_api else {}),
            "resource": "$default" if http_api else "/{proxy+}",
            "path": shown,
            "httpMethod": request.method,
            "headers": named,
            "multiValueHeaders": {k: [v] for k, v in named.items()},
            "queryStringParameters": None,
            "multiValueQueryStringParameters": None,
            "pathParameters": None if http_api else {"proxy": path.lstrip("/")},
            "stageVariables": None,
            "requestContext": {
                "accountId": "123456789012",
                "apiId": api,
                "domainName": f"{api}.execute-api.eu-west-1.amazonaws.com",
                "domainPrefix": api,
                "extendedRequestId": f"LgLpnibOFiAEPCA={request.request_id[-6:]}",
                "httpMethod": request.method,
                "identity": {"sourceIp": request.client, "userAgent": None, "user": None},
                "path": f"/{stage}{path}" if stage != "$default" else path,
                "protocol": "HTTP/1.1",
                "requestId": request.request_id,
                "requestTimeEpoch": request.epoch_ms,
                "resourcePath": "$default" if http_api else "/{proxy+}",
                "stage": stage,
            },
            "body": request.body if request.body else None,
            "isBase64Encoded": request.base64,
        }


class HttpV2:
    """HTTP API with payload 2.0, and Lambda Function URLs (the same shape).

    ``rawPath`` carries a named stage in front of the route; it is taken off.
    """

    name: ClassVar[str] = "http"

    def __init__(self, event: Mapping[str, Any]) -> None:
        self.event = event

    @classmethod
    def infer(cls, event: Mapping[str, Any]) -> bool:
        return event.get("version") == "2.0" or "http" in _dict(event.get("requestContext"))

    def incoming(self, base_path: str) -> Incoming:
        context = _dict(self.event.get("requestContext"))
        http_part = _dict(context.get("http"))
        method = _text(http_part, "method", "requestContext.http.")
        raw = self.event.get("rawPath")
        path = raw if isinstance(raw, str) and raw else _text(http_part, "path", "rawPath or ")
        stage = context.get("stage")
        if isinstance(stage, str) and stage != "$default":
            path = _strip(path, "/" + stage)
        return _incoming(self.event, method, _strip(path, base_path), http_part.get("sourceIp"))

    def response(self, response: Response, *, head: bool = False) -> dict[str, Any]:
        body, encoded = _body(response, head)
        return {
            "statusCode": response.status,
            "headers": _single(response),
            "body": body,
            "isBase64Encoded": encoded,
        }

    @classmethod
    def sample(cls, request: Sample) -> dict[str, Any]:
        """An HTTP API payload 2.0 event (``http``) or a Function URL event (``url``)."""
        url = request.variant == "url"
        stage = request.stage or "$default"
        api = SAMPLE_API_ID
        domain = (
            f"{api}.lambda-url.eu-west-1.on.aws"
            if url
            else f"{api}.execute-api.eu-west-1.amazonaws.com"
        )
        path = request.path
        raw_path = f"/{stage}{path}" if stage != "$default" else path
        out: dict[str, Any] = {
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": raw_path,
            "rawQueryString": "",
            "headers": {k.lower(): v for k, v in request.headers.items()},
            "requestContext": {
                "accountId": "anonymous" if url else "123456789012",
                "apiId": api,
                "domainName": domain,
                "domainPrefix": api,
                "http": {
                    "method": request.method,
                    "path": raw_path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": request.client,
                    "userAgent": "",
                },
                "requestId": request.request_id,
                "routeKey": "$default",
                "stage": stage,
                "time": time.strftime(
                    "%d/%b/%Y:%H:%M:%S +0000", time.gmtime(request.epoch_ms / 1000)
                ),
                "timeEpoch": request.epoch_ms,
            },
            "isBase64Encoded": request.base64,
        }
        if request.body:
            out["body"] = request.body
        return out


class ALB:
    """Application Load Balancer, with or without multi-value headers; the answer uses the
    request's form. The client is the right-most ``X-Forwarded-For`` hop (ALB appends it)."""

    name: ClassVar[str] = "alb"

    def __init__(self, event: Mapping[str, Any]) -> None:
        self.event = event
        self.multi = isinstance(event.get("multiValueHeaders"), Mapping)

    @classmethod
    def infer(cls, event: Mapping[str, Any]) -> bool:
        return "elb" in _dict(event.get("requestContext"))

    def incoming(self, base_path: str) -> Incoming:
        headers = _headers(self.event)
        hops = [h.strip() for h in headers.get("x-forwarded-for", "").split(",") if h.strip()]
        method, path = _text(self.event, "httpMethod"), _text(self.event, "path")
        client = hops[-1] if hops else None
        return _incoming(self.event, method, _strip(path, base_path), client, headers)

    def response(self, response: Response, *, head: bool = False) -> dict[str, Any]:
        body, encoded = _body(response, head)
        try:
            phrase = http.HTTPStatus(response.status).phrase
        except ValueError:
            phrase = ""
        out: dict[str, Any] = {
            "statusCode": response.status,
            "statusDescription": f"{response.status} {phrase}".strip(),
            "body": body,
            "isBase64Encoded": encoded,
        }
        if self.multi:
            out["multiValueHeaders"] = _multi(response)
        else:
            out["headers"] = _single(response)
        return out

    @classmethod
    def sample(cls, request: Sample) -> dict[str, Any]:
        """An ALB event, with multi-value headers for ``alb-multi``."""
        lower = {k.lower(): v for k, v in request.headers.items()}
        lower["x-forwarded-for"] = request.client
        out: dict[str, Any] = {
            "requestContext": {
                "elb": {
                    "targetGroupArn": (
                        "arn:aws:elasticloadbalancing:eu-west-1:123456789012:"
                        "targetgroup/tgserve/6d0ecf831eec9f09"
                    )
                }
            },
            "httpMethod": request.method,
            "path": request.path,
            "body": request.body,
            "isBase64Encoded": request.base64,
        }
        if request.variant == "alb-multi":
            out["multiValueQueryStringParameters"] = {}
            out["multiValueHeaders"] = {k: [v] for k, v in lower.items()}
        else:
            out["queryStringParameters"] = {}
            out["headers"] = lower
        return out


SOURCES: tuple[type[EventSource], ...] = (ALB, HttpV2, RestV1)


def infer(event: Any) -> EventSource:
    """The source an event came from; :class:`EventError` naming what is missing if none."""
    if not isinstance(event, Mapping):
        raise EventError(f"event is a {type(event).__name__}, not a JSON object")
    for source in SOURCES:
        if source.infer(event):
            return source(event)
    keys = ", ".join(sorted(str(k) for k in event)[:12]) or "none"
    raise EventError(
        "no httpMethod (REST, ALB) and no requestContext.http (HTTP API 2.0, Function URL); "
        f"event keys: {keys}"
    )

"""The Yandex Cloud Functions host: ``handler = tgserve.yandex(bot)``.

Yandex calls ``handler(event, context)`` with its HTTP-integration event (``httpMethod``,
``headers``, ``multiValueHeaders``, ``body``, ``isBase64Encoded``, ``requestContext``) and
expects ``statusCode``, ``headers``, ``multiValueHeaders``, ``body`` and ``isBase64Encoded``
back. A function's own URL carries no path: such a request is the webhook. Through API
Gateway the event has ``path`` (and ``url``), routed as on any host.

The instance is frozen between invocations as on AWS Lambda, so the Lambda host's one warm
loop, its deadline and its refusal of ``ack='background'`` are reused as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from tgserve._bots import Target
from tgserve._hosts.aws_lambda import LambdaHandler, frozen_host
from tgserve._hosts.lambda_events import (
    EventError,
    EventSource,
    Incoming,
    RestV1,
    _incoming,
    _strip,
)


class YandexHttp(RestV1):
    """A Yandex HTTP-integration event; answered in the REST shape, which Yandex reads."""

    name: ClassVar[str] = "yandex"

    def __init__(self, event: Mapping[str, Any], default_path: str = "/") -> None:
        super().__init__(event)
        self.default_path = default_path

    @classmethod
    def infer(cls, event: Mapping[str, Any]) -> bool:
        return "httpMethod" in event

    def incoming(self, base_path: str) -> Incoming:
        method = self.event.get("httpMethod")
        if not isinstance(method, str) or not method:
            raise EventError("httpMethod missing or not a string")
        for key in ("headers", "multiValueHeaders", "requestContext"):
            value = self.event.get(key)
            if value is not None and not isinstance(value, Mapping):
                raise EventError(f"{key} is not a JSON object")
        path = self.event.get("path")
        if not isinstance(path, str) or not path:
            url = self.event.get("url")
            path = url.split("?", 1)[0] if isinstance(url, str) and url else ""
        path = _strip(path, base_path) if path else self.default_path
        context = self.event.get("requestContext") or {}
        identity = context.get("identity")
        client = identity.get("sourceIp") if isinstance(identity, Mapping) else None
        return _incoming(self.event, method, path, client)


class YandexHandler(LambdaHandler):
    """``handler(event, context) -> dict`` for Yandex Cloud Functions."""

    def read_event(self, event: Any) -> EventSource:
        if not isinstance(event, Mapping):
            raise EventError(f"event is a {type(event).__name__}, not a JSON object")
        if "httpMethod" not in event:
            keys = ", ".join(sorted(str(k) for k in event)[:12]) or "none"
            raise EventError(f"no httpMethod (not an HTTP invocation); event keys: {keys}")
        return YandexHttp(event, self.runtime.config.path)

    def unknown_source(self) -> EventSource:
        return YandexHttp({})


def yandex(
    target: Target,
    /,
    *,
    bot: Any = None,
    init_at_import: bool = False,
    base_path: str | None = None,
    timeout_margin: float = 1.0,
    **options: Any,
) -> YandexHandler:
    """A Yandex Cloud Functions handler serving ``target``; options as :func:`tgserve.aws_lambda`.

    ``ack`` is ``inline`` (default) or ``queue``; ``background`` is refused, since the
    instance is frozen once the handler returns.
    """
    return frozen_host(
        YandexHandler,
        target,
        host="yandex",
        platform="Yandex Cloud Functions",
        bot=bot,
        init_at_import=init_at_import,
        base_path=base_path,
        timeout_margin=timeout_margin,
        options=options,
    )

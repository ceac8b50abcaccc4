"""The Google Cloud Functions host: ``handler = tgserve.gcf(bot)``.

``functions-framework`` (what Cloud Functions runs, and what runs it locally) calls the
function with a Flask request from its threaded server and sends back what it returns.
The request is answered by the WSGI host on the process's one loop thread: the function
only translates.

The instance's CPU is throttled once the response is sent, so the update is handled
before answering (``ack='inline'``, the default); ``background`` is refused.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Protocol, cast

from tgserve._bots import Target
from tgserve._config import Config, ConfigError
from tgserve._hosts.wsgi import WSGIApp
from tgserve._hosts.wsgi_io import READ_CHUNK


class CloudFunction(Protocol):
    """``handler(request) -> (body, status, headers)``: a plain function, as
    ``functions-framework`` requires, carrying its WSGI app and a ``close``."""

    app: WSGIApp

    def __call__(self, request: Any) -> tuple[bytes, int, list[tuple[str, str]]]: ...

    def close(self, grace: float | None = None) -> None: ...


def _answer(app: WSGIApp, request: Any) -> tuple[bytes, int, list[tuple[str, str]]]:
    status, headers, body = app.call(request.environ, _body(request, app.config))
    return (b"" if request.method == "HEAD" else body), status, headers


def _body(request: Any, config: Config) -> bytes | None:
    """The body through Flask's own bounded stream; ``None`` (413) when it is over the limit."""
    limit = config.max_body_bytes
    length = request.content_length
    if length is not None and length > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = request.stream.read(min(READ_CHUNK, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def gcf(target: Target, /, *, bot: Any = None, **options: Any) -> CloudFunction:
    """A Cloud Functions (HTTP trigger) function serving ``target``.

    ``ack`` is ``inline`` (default) or ``queue`` (workers elsewhere handle the updates).
    """
    config = Config.load(options, host_defaults={"ack": "inline", "metrics": False})
    if config.ack == "background":
        raise ConfigError(
            "ack='background' cannot work on Cloud Functions: the CPU is throttled once the "
            "response is sent; use 'inline' (the default) or 'queue' with a worker elsewhere"
        )
    # queue mode stores only: a worker here would run on a throttled CPU between requests
    app = WSGIApp(target, dataclasses.replace(config, consume=False), bot=bot)

    def handler(request: Any) -> tuple[bytes, int, list[tuple[str, str]]]:
        return _answer(app, request)

    handler.app = app  # type: ignore[attr-defined]
    handler.close = app.close  # type: ignore[attr-defined]
    return cast(CloudFunction, handler)

"""Every host, behind one small client interface, so one contract suite covers them all.

A host factory takes the bot and the options and yields a :class:`HostClient`.
Add a host by writing a factory and listing it in ``HOSTS``.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

import tgserve
from tgserve.testing import serve


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class HostClient(Protocol):
    async def request(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> Reply: ...


HostFactory = Callable[[Any, dict[str, Any]], contextlib.AbstractAsyncContextManager[HostClient]]


def one_connection(url: str) -> httpx.AsyncClient:
    """A client that sends every request of a test over one keep-alive connection, so a
    host that breaks the connection (an unread body, a missing ``Connection: close``)
    fails the next request."""
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    return httpx.AsyncClient(base_url=url, limits=limits)


class HttpxClient:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def request(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> Reply:
        r = await self.client.request(method, path, headers=headers, content=body)
        return Reply(r.status_code, dict(r.headers), r.content)


@contextlib.asynccontextmanager
async def asgi_in_process(target: Any, options: dict[str, Any]) -> AsyncIterator[HostClient]:
    """The ASGI app called directly (no lifespan: it starts on the first request)."""
    app = tgserve.asgi(target, **options)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield HttpxClient(client)
    await app.runtime.stop()


@contextlib.asynccontextmanager
async def asgi_uvicorn(target: Any, options: dict[str, Any]) -> AsyncIterator[HostClient]:
    """The ASGI app under a real uvicorn socket, with lifespan."""
    app = tgserve.asgi(target, **options)
    async with serve(app) as url, one_connection(url) as client:
        yield HttpxClient(client)


def aws_lambda(source: str) -> HostFactory:
    """The AWS Lambda handler on ``source`` events, called in a worker thread (it owns its loop)."""

    def open_host(target: Any, options: dict[str, Any]) -> Any:
        from tests.hosts.lambda_.client import open_lambda

        return open_lambda(source, target, options)

    return open_host


def wsgi(server: bool) -> HostFactory:
    """The WSGI app, called in a worker thread, or under werkzeug's threaded server."""

    def open_host(target: Any, options: dict[str, Any]) -> Any:
        from tests.hosts.wsgi.client import open_wsgi

        return open_wsgi(target, options, server=server)

    return open_host


def gcf(target: Any, options: dict[str, Any]) -> Any:
    """Cloud Functions: functions-framework's own Flask app on a real socket."""
    from tests.deploy.gcf_client import open_gcf

    return open_gcf(target, options)


def yandex(target: Any, options: dict[str, Any]) -> Any:
    """Yandex Cloud Functions on API Gateway events, called in a worker thread."""
    from tests.deploy.yandex_client import open_yandex

    return open_yandex(target, options)


# Polling is not here: it has no request and no status to compare, only getUpdates items
# and an offset, so its contract (the same update rule, dedup and order through the
# request path's polling steps) is tests/contract/test_polling_host.py.
HOSTS: dict[str, HostFactory] = {
    "asgi": asgi_in_process,
    "asgi-uvicorn": asgi_uvicorn,
    "gcf": gcf,
    "lambda-http": aws_lambda("http"),
    "lambda-rest": aws_lambda("rest"),
    "wsgi": wsgi(server=False),
    "wsgi-werkzeug": wsgi(server=True),
    "yandex": yandex,
}

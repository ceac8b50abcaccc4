"""HTTP transports for BotAPI: aiohttp where installed (6-12x less CPU per call), else httpx.

A transport posts one request and returns ``(status, reason, body)``; it raises
:class:`Unsent` when the request surely never reached the server (safe to send again)
and :class:`Lost` when it may have (only read-only methods are sent again).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, Protocol

from tgserve import _jsonfast as jsonfast

if TYPE_CHECKING:
    import aiohttp
    import httpx

FileSpec = bytes | tuple[str, bytes] | tuple[str, bytes, str]
Kind = Literal["auto", "aiohttp", "httpx"]


class Unsent(Exception):
    """The request was not sent (connect refused or timed out, no free connection)."""


class Lost(Exception):
    """The request may have been sent, but no answer came back."""


class Transport(Protocol):
    async def post(
        self, url: str, params: dict[str, Any], files: Mapping[str, FileSpec] | None
    ) -> tuple[int, str, bytes]: ...

    async def close(self) -> None: ...


def choose(kind: Kind) -> Literal["aiohttp", "httpx"]:
    """``auto``: aiohttp where installed, but httpx on AWS Lambda, whose cold start
    pays for aiohttp's heavier import on one call per request (docs/benchmarks.md)."""
    if kind != "auto":
        return kind
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        return "httpx"
    import importlib.util

    return "aiohttp" if importlib.util.find_spec("aiohttp") else "httpx"


def proxied() -> bool:
    """Whether the environment names an HTTP(S) proxy, which httpx would use. aiohttp is
    told to look only then: with ``trust_env`` it looks again in a thread on every request."""
    import urllib.request

    return bool(urllib.request.getproxies_environment())


KEEPALIVE = 5.0  # seconds, httpx's keepalive_expiry


def aiohttp_session(
    connections: int,
    timeout: aiohttp.ClientTimeout | None = None,
    *,
    keepalive: float | None = None,
) -> aiohttp.ClientSession:
    """An aiohttp session of at most ``connections`` connections (0: no limit), behind an
    environment proxy only when one is set (``timeout`` None: aiohttp's default;
    ``keepalive``: seconds an idle connection is kept, None: httpx's 5 s)."""
    import aiohttp

    # aiohttp's own 15 s outlives servers that close idle connections at 5 s (uvicorn),
    # and a send on a connection the server is closing fails; httpx drops them at 5 s.
    keepalive = KEEPALIVE if keepalive is None else keepalive
    connector = aiohttp.TCPConnector(limit=connections, keepalive_timeout=keepalive)
    return aiohttp.ClientSession(connector=connector, timeout=timeout, trust_env=proxied())


def multipart(
    fields: Mapping[str, str], files: Mapping[str, tuple[str, Any, str]]
) -> aiohttp.FormData:
    """An aiohttp form of ``fields`` and ``files`` (part name: filename, content, type)."""
    import aiohttp

    form = aiohttp.FormData(dict(fields))
    for name, (filename, content, ctype) in files.items():
        form.add_field(name, content, filename=filename, content_type=ctype)
    return form


def _form(params: dict[str, Any]) -> dict[str, str]:
    """Multipart fields: strings as they are, everything else as JSON (as Telegram reads them)."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}


def _file(name: str, spec: FileSpec) -> tuple[str, bytes, str]:
    if isinstance(spec, bytes):
        return name, spec, "application/octet-stream"
    if len(spec) == 2:
        return spec[0], spec[1], "application/octet-stream"
    return spec


class HttpxTransport:
    """httpx's AsyncClient; ``client`` is used as given and then not closed here."""

    def __init__(self, timeout: float, connections: int, client: httpx.AsyncClient | None) -> None:
        self.timeout = timeout
        self.connections = connections
        self._client = client
        self._own = client is None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            import httpx

            n = self.connections
            limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
            self._client = httpx.AsyncClient(timeout=self.timeout, limits=limits)
        return self._client

    async def post(
        self, url: str, params: dict[str, Any], files: Mapping[str, FileSpec] | None
    ) -> tuple[int, str, bytes]:
        import httpx

        try:
            if files:
                sent = {k: _file(k, v) for k, v in files.items()}
                response = await self.client.post(url, data=_form(params), files=sent)
            else:
                response = await self.client.post(url, json=params)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise Unsent(type(exc).__name__) from None
        except httpx.TransportError as exc:
            raise Lost(type(exc).__name__) from None
        return response.status_code, response.reason_phrase, response.content

    async def close(self) -> None:
        if self._own and self._client is not None:
            await self._client.aclose()
            self._client = None


class AiohttpTransport:
    """aiohttp's ClientSession, created on first use on the running loop."""

    def __init__(self, timeout: float, connections: int) -> None:
        self.timeout = timeout
        self.connections = connections
        self._session: aiohttp.ClientSession | None = None

    @property
    def client(self) -> aiohttp.ClientSession:
        if self._session is None:
            import aiohttp

            timeout = aiohttp.ClientTimeout(total=self.timeout)
            self._session = aiohttp_session(self.connections, timeout)
        return self._session

    async def post(
        self, url: str, params: dict[str, Any], files: Mapping[str, FileSpec] | None
    ) -> tuple[int, str, bytes]:
        import aiohttp

        try:
            if files:
                form = multipart(_form(params), {k: _file(k, v) for k, v in files.items()})
                request = self.client.post(url, data=form)
            else:  # encoded here (jsonfast): aiohttp's json= goes through json.dumps
                body = aiohttp.payload.BytesPayload(
                    jsonfast.dumps(params), content_type="application/json"
                )
                request = self.client.post(url, data=body)
            async with request as response:
                return response.status, response.reason or "", await response.read()
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            raise Unsent(type(exc).__name__) from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise Lost(type(exc).__name__) from None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
        self._session = None


def open_transport(
    kind: Kind, timeout: float, connections: int, client: httpx.AsyncClient | None = None
) -> Transport:
    """The transport ``kind`` names (``client`` given: httpx with that client)."""
    if client is not None or choose(kind) == "httpx":
        return HttpxTransport(timeout, connections, client)
    return AiohttpTransport(timeout, connections)

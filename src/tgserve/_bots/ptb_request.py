"""AiohttpRequest: python-telegram-bot's Bot API calls through aiohttp instead of httpx."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp.payload import BytesPayload
from multidict import CIMultiDict, CIMultiDictProxy
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from tgserve import _redact as redact
from tgserve._transport import aiohttp_session, multipart

FORM = "application/x-www-form-urlencoded"
MAX_TIMEOUTS = 16  # distinct timeout settings kept built


class AiohttpRequest(BaseRequest):
    """``ApplicationBuilder().request(AiohttpRequest())``: the same bot, cheaper calls.

    A call through it costs a fraction of the CPU of PTB's default ``HTTPXRequest``
    (figures in docs/benchmarks.md); tgserve serves a stock ``HTTPXRequest`` through this
    class by itself (:mod:`tgserve._bots.ptb_swap`).
    At most ``connections`` requests are sent at once (``None``: no limit); the rest wait
    for a connection. Timeouts are PTB's defaults and its per-call arguments. aiohttp has
    no write timeout: a body without files is written at once, and requests that carry
    files go through ``uploads`` when given (the swap passes the ``HTTPXRequest`` it
    replaces, with its own write timeouts). ``proxy``: an ``http://`` proxy URL; with
    none, the environment's (``HTTPS_PROXY``, ``NO_PROXY``) as httpx reads them.
    ``keepalive``: seconds an idle connection is kept (None: 5 s, as ``HTTPXRequest``).
    """

    def __init__(
        self,
        connections: int | None = 8,
        *,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        proxy: str | None = None,
        keepalive: float | None = None,
        uploads: BaseRequest | None = None,
    ) -> None:
        self.connections = connections
        self.proxy = proxy
        self.keepalive = keepalive
        self.uploads = uploads
        self._read = read_timeout
        self._write = write_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[tuple[float | None, float | None, float | None], Any] = {}
        self._headers = CIMultiDictProxy(CIMultiDict({"User-Agent": self.USER_AGENT}))

    @property
    def read_timeout(self) -> float | None:
        return self._read

    @property
    def timeouts(self) -> dict[str, float | None]:
        """The default timeouts: read, write, connect and pool."""
        return {
            "read": self._read,
            "write": self._write,
            "connect": self._connect,
            "pool": self._pool,
        }

    async def initialize(self) -> None:
        if self.uploads is not None:
            await self.uploads.initialize()
        if self._session is None or self._session.closed:
            self._session = aiohttp_session(self.connections or 0, keepalive=self.keepalive)

    async def shutdown(self) -> None:
        try:
            if self._session is not None:
                await self._session.close()
            self._session = None
        finally:
            if self.uploads is not None:
                await self.uploads.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self.uploads is not None and request_data is not None and request_data.contains_files:
            return await self.uploads.do_request(
                url, method, request_data, read_timeout, write_timeout, connect_timeout,
                pool_timeout,
            )  # fmt: skip
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        key = (
            _given(read_timeout, self._read),
            _given(pool_timeout, self._pool),
            _given(connect_timeout, self._connect),
        )
        timeout = self._timeouts.get(key)
        if timeout is None:
            timeout = _timeout(*key)
            if len(self._timeouts) < MAX_TIMEOUTS:  # per-call timeouts: a few, usually one
                self._timeouts[key] = timeout
        try:
            async with self._session.request(
                method,
                url,
                data=_body(request_data),
                timeout=timeout,
                headers=self._headers,
                proxy=self.proxy,
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            text = redact.redact(str(exc))
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {text}") from exc


def _given(value: Any, default: float | None) -> float | None:
    return default if isinstance(value, type(BaseRequest.DEFAULT_NONE)) else value


def _timeout(read: float | None, pool: float | None, connect: float | None) -> Any:
    """aiohttp's timeouts for PTB's: the pool wait and the connect together bound getting
    a connection; ``connect`` bounds the connect itself, ``read`` each read."""
    waited = None if pool is None or connect is None else pool + connect
    return aiohttp.ClientTimeout(connect=waited, sock_connect=connect, sock_read=read)


def _body(request_data: RequestData | None) -> Any:
    """A form (urlencoded) as PTB's own request sends, multipart when there are files."""
    if request_data is None:
        return None
    if not request_data.contains_files:  # the bytes aiohttp's FormData makes of the dict
        fields = urlencode(request_data.json_parameters, doseq=True, encoding="utf-8")
        return BytesPayload(fields.encode(), content_type=FORM)
    return multipart(request_data.json_parameters, request_data.multipart_data)

"""ASGI plumbing shared by the one-bot host (:mod:`tgserve._hosts.asgi`) and the many-bots
host (:mod:`tgserve._hosts.asgi_bots`): the ASGI types, the bounded body read, the answer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from tgserve._deadlines import Deadlines
from tgserve._gate import OK, Request, Response, Unreadable, header_map
from tgserve._webhook import ReadBody, Webhook

# the gate answers it 400, not 408 (docs/design.md's status table): the request is incomplete
SLOW_BODY = Unreadable("body read timed out", close=True)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

log = logging.getLogger("tgserve.asgi")


class LifespanApp:
    """The scope dispatch and the lifespan protocol both ASGI apps share; a subclass says
    what starts and stops (``_start``, ``_stop``) and how a request is answered (``_http``)."""

    async def _start(self) -> None:
        raise NotImplementedError

    async def _stop(self) -> None:
        raise NotImplementedError

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Any = None) -> AsyncIterator[None]:
        """For a parent app: ``FastAPI(lifespan=tg.lifespan)`` starts and drains the bot(s)."""
        await self._start_or_undo()
        try:
            yield
        finally:
            await self._stop()

    async def _start_or_undo(self) -> None:
        """Start; when that fails, stop what did start (the server exits without a lifespan
        shutdown, and a bot left running would keep its tasks, sessions and locks)."""
        try:
            await self._start()
        except BaseException:
            with contextlib.suppress(Exception):
                await self._stop()
            raise

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self._start_or_undo()
                except Exception as exc:
                    log.exception("start-up failed")
                    await send({"type": "lifespan.startup.failed", "message": type(exc).__name__})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self._stop()
                await send({"type": "lifespan.shutdown.complete"})
                return


def request_headers(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """The scope's headers by :func:`~tgserve._gate.header_map`'s rule; one dict
    comprehension when no name repeats (the common case), the rule itself when one does."""
    pairs = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in raw]
    headers = dict(pairs)
    return headers if len(headers) == len(pairs) else header_map(pairs)


def request_of(scope: Scope) -> Request:
    """The gate's request for an HTTP scope: the path below ``root_path``, the body read later."""
    path: str = scope["path"]
    root = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :] or "/"
    client = scope.get("client")
    headers = request_headers(scope["headers"])
    return Request(scope["method"], path, headers, b"", client[0] if client else None)


async def serve_webhook(
    webhook: Webhook,
    request: Request,
    receive: Receive,
    send: Send,
    deadlines: Deadlines,
    body_timeout: float,
) -> None:
    """The request path's steps on ASGI I/O: the head, the body when asked for, the answer."""
    step = webhook.head(request)
    if isinstance(step, ReadBody):
        step = webhook.body(await read_body(receive, step.limit, deadlines, body_timeout))
    response = webhook.answer_now(step) or await webhook.answer(step)
    await send_response(send, response, request.method)


async def read_body(
    receive: Receive, limit: int, deadlines: Deadlines, seconds: float
) -> bytes | Unreadable | None:
    """The whole body, ``None`` as soon as it passes ``limit`` bytes, or :data:`SLOW_BODY`
    when it has not all arrived within ``seconds`` (one timer for every read:
    :class:`~tgserve._deadlines.Deadlines`)."""
    chunks: list[bytes] = []
    size = 0
    task = deadlines.watch(seconds)
    try:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
    except asyncio.CancelledError:
        if not deadlines.expired(task):
            raise
        return SLOW_BODY
    finally:
        deadlines.forget(task)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _wire_headers(response: Response) -> list[tuple[bytes, bytes]]:
    headers = [(k.encode(), v.encode()) for k, v in response.headers]
    headers.append((b"content-length", str(len(response.body)).encode()))
    return headers


_OK_HEADERS = tuple(_wire_headers(OK))


async def send_response(send: Send, response: Response, method: str) -> None:
    """The response to the client (no body on HEAD; content-length always that of GET)."""
    body = b"" if method == "HEAD" else response.body
    # the ack's headers are encoded once; a fresh list each time (middleware may append)
    headers = list(_OK_HEADERS) if response is OK else _wire_headers(response)
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})

"""ASGI plumbing shared by the one-bot host (:mod:`tgserve.hosts.asgi`) and the many-bots
host (:mod:`tgserve.hosts.asgi_bots`): the ASGI types, the bounded body read, the answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from tgserve.gate import Response, error

# 400, not 408: docs/design.md's status table is the contract; the request is incomplete.
SLOW_BODY = error(400, "body read timed out", (("connection", "close"),))

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


async def read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or ``None`` as soon as it passes ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
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
    return b"".join(chunks)


async def send_response(send: Send, response: Response, method: str) -> None:
    """The response to the client (no body on HEAD; content-length always that of GET)."""
    body = b"" if method == "HEAD" else response.body
    headers = [(k.encode(), v.encode()) for k, v in response.headers]
    headers.append((b"content-length", str(len(response.body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})

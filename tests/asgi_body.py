"""The test stubs' one ASGI body read: every chunk of a request's body, joined."""

from __future__ import annotations

from typing import Any


async def read_body(receive: Any) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body

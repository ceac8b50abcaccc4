"""Test helpers: a lean recording Bot API stub and a real uvicorn server on loopback.

The stub answers like Telegram for the handful of methods bots call most and records
every call. The full emulator (``tgserve.emulator``) is the faithful one; this stub is
the lean one for load tests, whose own capacity is measured in bench/.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.parser
import email.policy
import json
import time
import urllib.parse
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from tgserve._inloop import InLoopServer

__all__ = ["BotAPIStub", "Call", "serve"]

Scope = MutableMapping[str, Any]
ASGI = Callable[
    [Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]
]

BOT_USER = {"id": 1, "is_bot": True, "first_name": "Stub", "username": "stub_bot"}


@dataclass
class Call:
    """One recorded Bot API call."""

    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


class BotAPIStub:
    """An ASGI app answering ``/bot<token>/<method>`` and recording each call.

    ``fail[method] = [(status, retry_after), ...]`` makes the next calls of a method fail.
    """

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.by_chat: dict[int, list[Call]] = defaultdict(list)
        self.fail: dict[str, list[tuple[int, float | None]]] = defaultdict(list)
        self._next_id = 0
        self._changed = asyncio.Condition()

    def sent(self, method: str = "sendMessage") -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, count: int, method: str = "sendMessage", timeout: float = 30) -> None:
        """Wait until ``count`` calls of ``method`` were recorded."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: len(self.sent(method)) >= count)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        parts = scope["path"].strip("/").split("/")
        if len(parts) != 2 or not parts[0].startswith("bot"):
            await _reply(send, 404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        method = parts[1]
        params = _params(scope, body)
        status, payload = self.answer(method, params)
        await _reply(send, status, payload)

    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        failures = self.fail.get(method)
        if failures:
            code, retry_after = failures.pop(0)
            extra = {"parameters": {"retry_after": retry_after}} if retry_after is not None else {}
            return code, {"ok": False, "error_code": code, "description": "injected", **extra}
        call = Call(method, params)
        self.calls.append(call)
        chat_id = params.get("chat_id")
        if isinstance(chat_id, str) and chat_id.lstrip("-").isdigit():
            chat_id = int(chat_id)
        if isinstance(chat_id, int):
            self.by_chat[chat_id].append(call)
        asyncio.get_running_loop().create_task(self._notify())
        if method == "getMe":
            return 200, {"ok": True, "result": {**BOT_USER, "can_join_groups": True}}
        if method.startswith("send") and isinstance(chat_id, int):
            self._next_id += 1
            message = {
                "message_id": self._next_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
                "from": BOT_USER,
                "text": str(params.get("text", "")),
            }
            return 200, {"ok": True, "result": message}
        return 200, {"ok": True, "result": True}

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()


def _params(scope: Scope, body: bytes) -> dict[str, Any]:
    params: dict[str, Any] = dict(urllib.parse.parse_qsl(scope.get("query_string", b"").decode()))
    ctype = dict(scope["headers"]).get(b"content-type", b"").decode()
    if body and ctype.startswith("application/json"):
        loaded = json.loads(body)
        if isinstance(loaded, dict):
            params.update(loaded)
    elif body and ctype.startswith("application/x-www-form-urlencoded"):
        params.update({k: _value(v) for k, v in urllib.parse.parse_qsl(body.decode())})
    elif body and ctype.startswith("multipart/form-data"):
        head = f"Content-Type: {ctype}\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if not isinstance(name, str) or not isinstance(payload, bytes):
                continue
            filename = part.get_filename()
            params[name] = (
                {"filename": filename, "size": len(payload)}
                if filename
                else _value(payload.decode())
            )
    return params


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


async def _reply(send: Any, status: int, payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@contextlib.asynccontextmanager
async def serve(app: Any, *, host: str = "127.0.0.1", **options: Any) -> AsyncIterator[str]:
    """Run ``app`` under a real uvicorn server on an unused loopback port; yield its base URL.

    ``options`` go to ``uvicorn.Config`` (lifespan ``auto`` unless given).
    """
    options.setdefault("lifespan", "auto")
    async with InLoopServer(app, host, 0, **options) as server:
        yield server.url

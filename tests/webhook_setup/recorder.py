"""A recording Bot API on loopback that keeps one bot's webhook state, as Telegram does.

Every call is recorded as ``(method, params)``; ``setWebhook`` is rate-limited like
Telegram's (a second call within ``set_interval`` gets 429 with ``retry_after``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from tests.asgi_body import read_body
from tgserve._inloop import InLoopServer

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class RecordingBotAPI:
    def __init__(self, set_interval: float = 1.0) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.webhook: dict[str, Any] = {"url": "", "pending_update_count": 0}
        self.secret: str | None = None
        self.set_interval = set_interval
        self.last_set = 0.0
        self.server = InLoopServer(self)

    @property
    def api_url(self) -> str:
        return self.server.url

    def count(self, method: str) -> int:
        return sum(1 for name, _ in self.calls if name == method)

    async def __aenter__(self) -> RecordingBotAPI:
        await self.server.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.server.stop()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = await read_body(receive)
        method = scope["path"].rsplit("/", 1)[-1]
        params = json.loads(body) if body else {}
        self.calls.append((method, params))
        status, answer = self.answer(method, params)
        payload = json.dumps(answer).encode()
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    def answer(self, method: str, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if method == "getWebhookInfo":
            return 200, {"ok": True, "result": dict(self.webhook)}
        if method == "setWebhook":
            now = time.monotonic()
            if now - self.last_set < self.set_interval:
                return 429, {
                    "ok": False,
                    "error_code": 429,
                    "description": "Too Many Requests: retry after 1",
                    "parameters": {"retry_after": 1},
                }
            self.last_set = now
            hook: dict[str, Any] = {"url": p["url"], "pending_update_count": 0}
            hook["max_connections"] = int(p.get("max_connections", 40))
            if p.get("allowed_updates"):
                hook["allowed_updates"] = list(p["allowed_updates"])
            self.webhook = hook
            self.secret = p.get("secret_token")
            return 200, {"ok": True, "result": True, "description": "Webhook was set"}
        if method == "deleteWebhook":
            self.webhook = {"url": "", "pending_update_count": 0}
            return 200, {"ok": True, "result": True, "description": "Webhook was deleted"}
        if method == "getMe":
            return 200, {"ok": True, "result": {"id": 123456789, "is_bot": True}}
        return 200, {"ok": True, "result": True}

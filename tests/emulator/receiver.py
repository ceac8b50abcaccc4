"""A webhook receiver on a real socket that records deliveries and answers as told."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from tests.asgi_body import read_body
from tgserve._inloop import InLoopServer
from tgserve.emulator._wakeup import Wakeup


@dataclass
class Delivery:
    update: dict[str, Any]
    headers: dict[str, str]
    at: float


Answer = tuple[int, dict[str, str], bytes]


class Receiver:
    """`answers` is consumed first (status, headers, body); then `default`.

    `delay` makes each answer wait; `hook` runs per delivery before answering.
    """

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self.answers: list[Answer] = []
        self.default: Answer = (200, {}, b"")
        self.delay = 0.0
        self.hook: Callable[[dict[str, Any]], Awaitable[Answer | None]] | None = None
        self.in_flight = 0
        self.max_in_flight = 0
        self.signal = Wakeup()
        self.server = InLoopServer(self)

    @property
    def url(self) -> str:
        return self.server.url + "/hook"

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        body = await read_body(receive)
        update = json.loads(body)
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        self.deliveries.append(Delivery(update, headers, time.monotonic()))
        self.signal.fire()
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            answer = await self.hook(update) if self.hook is not None else None
            if self.delay:
                await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        if answer is None:
            answer = self.answers.pop(0) if self.answers else self.default
        status, extra, payload = answer
        headers_out = [(k.encode(), v.encode()) for k, v in extra.items()]
        await send({"type": "http.response.start", "status": status, "headers": headers_out})
        await send({"type": "http.response.body", "body": payload})

    async def wait(self, count: int, timeout: float = 10.0) -> list[Delivery]:
        deadline = time.monotonic() + timeout
        while len(self.deliveries) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{len(self.deliveries)} of {count} deliveries arrived")
            await self.signal.wait(remaining)
        return self.deliveries

    async def __aenter__(self) -> Receiver:
        await self.server.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.server.stop()

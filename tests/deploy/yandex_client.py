"""The Yandex handler behind the contract suite's client interface (API Gateway events,
which carry the path), called in a worker thread as the platform calls it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import tgserve
from tests.contract.hosts import HostClient, Reply
from tests.deploy.yandex_events import YandexContext, event
from tests.hosts.lambda_.client import reply_of
from tgserve._hosts.yandex import YandexHandler


class YandexClient:
    def __init__(self, handler: YandexHandler) -> None:
        self.handler = handler

    async def request(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> Reply:
        ev = event(method, path, headers, body, client="127.0.0.1")
        return reply_of(await asyncio.to_thread(self.handler, ev, YandexContext()))


@contextlib.asynccontextmanager
async def open_yandex(target: Any, options: dict[str, Any]) -> AsyncIterator[HostClient]:
    handler = tgserve.yandex(target, **options)
    try:
        yield YandexClient(handler)
    finally:
        await asyncio.to_thread(handler.close, 1.0)

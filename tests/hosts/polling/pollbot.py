"""The bot of the polling process tests: logs ``update_id chat text pid`` per handled update."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import tgserve

_fd: int | None = None


async def handle(update: dict[str, Any], bot: tgserve.BotAPI) -> None:
    global _fd
    if _fd is None:
        _fd = os.open(os.environ["TGSERVE_TEST_LOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    message = update["message"]
    await asyncio.sleep(0.005)
    line = f"{update['update_id']} {message['chat']['id']} {message['text']} {os.getpid()}\n"
    os.write(_fd, line.encode())

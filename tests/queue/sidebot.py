"""The bot the multi-process tests serve: it appends one line per handling to a shared log.

Each line is ``update_id chat attempt pid time``, written with one ``write`` on an
``O_APPEND`` file, so lines from several processes never interleave.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

from tgserve import current_delivery

LOG = os.environ.get("TGSERVE_TEST_LOG", os.devnull)
DELAY = float(os.environ.get("TGSERVE_TEST_DELAY", "0.005"))
_fd = os.open(LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)


async def handle(update: dict[str, Any], bot: Any) -> None:
    await asyncio.sleep(DELAY)
    delivery = current_delivery()
    attempt = delivery.attempt if delivery else 0
    chat = update["message"]["chat"]["id"]
    line = f"{update['update_id']} {chat} {attempt} {os.getpid()} {time.time():.4f}\n"
    os.write(_fd, line.encode())

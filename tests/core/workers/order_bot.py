"""A plain bot for the --workers test: records (chat, update_id, pid, start, end) per update."""

from __future__ import annotations

import asyncio
import json
import os
import time
from typing import Any


async def handle(update: dict[str, Any], bot: Any) -> None:
    began = time.time()
    await asyncio.sleep(0.003)
    record = {
        "chat": update["message"]["chat"]["id"],
        "update_id": update["update_id"],
        "pid": os.getpid(),
        "began": began,
        "ended": time.time(),
    }
    with open(os.environ["ORDER_LOG"], "a") as log:
        log.write(json.dumps(record) + "\n")

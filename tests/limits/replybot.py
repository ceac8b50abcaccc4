"""The bot the multi-process limits test runs: each update is answered with N replies."""

from __future__ import annotations

import os
from typing import Any

REPLIES = int(os.environ.get("TGSERVE_TEST_REPLIES", "10"))


async def handle(update: dict[str, Any], bot: Any) -> None:
    chat = update["message"]["chat"]["id"]
    for k in range(REPLIES):
        await bot.call("sendMessage", chat_id=chat, text=f"{update['update_id']}/{k}")

"""An echo bot, the image's example: `tgserve serve bot:handle` (see deploy/docker/Dockerfile)."""

from __future__ import annotations

from typing import Any

import tgserve


async def handle(update: dict[str, Any], bot: tgserve.BotAPI) -> None:
    message = update.get("message")
    if not message or "text" not in message:
        return
    await bot.call("sendMessage", chat_id=message["chat"]["id"], text=message["text"])

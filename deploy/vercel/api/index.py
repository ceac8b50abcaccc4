"""A Telegram bot as a Vercel Python function: Vercel serves the ASGI ``app`` of this file.

The function is frozen once it has answered, so the update is handled before the answer
(``ack='inline'``), within the function's time limit: ``inline_timeout`` seconds, then a
503 and Telegram delivers the update again. For longer work use ``TGSERVE_ACK=queue``
with a shared store (e.g. Redis) and ``tgserve worker`` running elsewhere.
Token and secret: TELEGRAM_BOT_TOKEN and TGSERVE_SECRET_TOKEN in the project's settings.
"""

from __future__ import annotations

import os
from typing import Any

import tgserve


async def handle(update: dict[str, Any], bot: tgserve.BotAPI) -> None:
    message = update.get("message")
    if message and "text" in message:
        await bot.call("sendMessage", chat_id=message["chat"]["id"], text=message["text"])


app = tgserve.asgi(
    handle,
    ack=os.environ.get("TGSERVE_ACK", "inline"),
    # two seconds under vercel.json's maxDuration (10 s), for the answer to leave in time
    inline_timeout=float(os.environ.get("TGSERVE_INLINE_TIMEOUT", "8")),
)

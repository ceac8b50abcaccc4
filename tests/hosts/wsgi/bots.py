"""The bots of the WSGI load tests: each replies with the update id into the update's chat."""

from __future__ import annotations

import os
from typing import Any

import tgserve


async def plain(update: dict[str, Any], bot: tgserve.BotAPI) -> None:
    chat = update["message"]["chat"]["id"]
    await bot.call("sendMessage", chat_id=chat, text=str(update["update_id"]))


def ptb_app(api_url: str | None = None) -> Any:
    """A PTB Application replying with the update id (its HTTPX client lives on one loop)."""
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

    async def reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None
        await context.bot.send_message(update.effective_chat.id, str(update.update_id))

    api_url = api_url or os.environ["TGSERVE_API_URL"]
    app = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(f"{api_url}/bot")
        .updater(None)
        .build()
    )
    app.add_handler(MessageHandler(filters.ALL, reply))
    return app

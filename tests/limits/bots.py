"""The scenario's bot, written three ways: each message is answered with three sendMessage."""

from __future__ import annotations

from typing import Any

REPLIES = 3


def replies(text: str) -> list[str]:
    return [f"{text}/{k}" for k in range(REPLIES)]


def plain_bot(token: str, api_url: str) -> tuple[Any, Any]:
    async def handle(update: dict[str, Any], bot: Any) -> None:
        message = update["message"]
        for text in replies(message["text"]):
            await bot.call("sendMessage", chat_id=message["chat"]["id"], text=text)

    return handle, None


def ptb_bot(token: str, api_url: str) -> tuple[Any, Any]:
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

    async def talk(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        for text in replies(update.message.text):
            await update.message.reply_text(text)

    app = ApplicationBuilder().token(token).base_url(f"{api_url}/bot").updater(None).build()
    app.add_handler(MessageHandler(filters.TEXT, talk))
    return app, None


def aiogram_bot(token: str, api_url: str) -> tuple[Any, Any]:
    from aiogram import Bot, Dispatcher, F
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import Message

    dp = Dispatcher()

    @dp.message(F.text)
    async def talk(message: Message) -> None:
        assert message.text is not None
        for text in replies(message.text):
            await message.answer(text)

    session = AiohttpSession(api=TelegramAPIServer.from_base(api_url))
    return dp, Bot(token, session=session)


BOTS = {"plain": plain_bot, "ptb": ptb_bot, "aiogram": aiogram_bot}

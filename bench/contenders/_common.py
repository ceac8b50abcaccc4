"""What every contender shares: the command line, the token and the same bot logic.

Every bot does the same on each update: one ``sendMessage`` to the update's chat,
echoing the text. Frameworks are imported only by the contender that uses them.
"""

from __future__ import annotations

import argparse
from typing import Any

TOKEN = "123456:bench-token-not-a-secret"


def parse_args(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument(
        "--api-url", required=True, help="Bot API base URL, e.g. http://127.0.0.1:8081"
    )
    return parser.parse_args()


def reply_text(text: str | None) -> str:
    return f"echo: {text}"


def plain_bot() -> Any:
    import tgserve

    async def handle(update: dict[str, Any], bot: tgserve.BotAPI) -> None:
        message = update.get("message")
        if message:
            await bot.call(
                "sendMessage", chat_id=message["chat"]["id"], text=reply_text(message.get("text"))
            )

    return handle


def ptb_application(
    api_url: str, *, concurrent: bool = False, updater: bool = False, aiohttp: bool = False
) -> Any:
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text(reply_text(update.message.text))

    builder = ApplicationBuilder().token(TOKEN).base_url(f"{api_url}/bot")
    if concurrent:
        builder = builder.concurrent_updates(True)
    if aiohttp:
        from tgserve._bots.ptb_request import AiohttpRequest

        builder = builder.request(AiohttpRequest())
    if not updater:
        builder = builder.updater(None)
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    return app


def aiogram_bot(api_url: str) -> tuple[Any, Any]:
    from aiogram import Bot, Dispatcher, F
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import Message

    dp = Dispatcher()

    @dp.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(reply_text(message.text))

    session = AiohttpSession(api=TelegramAPIServer.from_base(api_url))
    return dp, Bot(TOKEN, session=session)


def run_uvicorn(app: Any, port: int) -> None:
    """The one uvicorn configuration every ASGI contender runs under."""
    import uvicorn

    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        log_level="warning",
        access_log=False,
    )

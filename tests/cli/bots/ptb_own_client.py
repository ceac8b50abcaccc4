"""A PTB bot whose post_init builds a second client of its own, aimed at api.telegram.org."""

import os

from telegram import Bot
from telegram.ext import Application


async def post_init(application: Application) -> None:  # type: ignore[type-arg]
    async with Bot(os.environ["TELEGRAM_BOT_TOKEN"]) as other:
        await other.get_me()


application = Application.builder().token(os.environ["TELEGRAM_BOT_TOKEN"]).build()
application.post_init = post_init

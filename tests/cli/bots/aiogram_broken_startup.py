"""An aiogram bot whose start-up hook calls the Bot API, then fails."""

import os

from aiogram import Bot, Dispatcher

dp = Dispatcher()
bot = Bot(token=os.environ["TELEGRAM_BOT_TOKEN"])


@dp.startup()
async def on_startup(bot: Bot) -> None:
    await bot.get_me()  # the session is open now: a failed start must close it
    raise RuntimeError("the database is down")

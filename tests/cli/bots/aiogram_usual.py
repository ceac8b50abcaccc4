"""An aiogram bot written the usual way; one handler returns its method instead of awaiting it."""

import asyncio
import os

from aiogram import Bot, Dispatcher
from aiogram.filters import CommandStart
from aiogram.methods import SendMessage
from aiogram.types import Message

dp = Dispatcher()


@dp.message(CommandStart())
async def start(message: Message) -> SendMessage:
    name = message.from_user.full_name if message.from_user else "there"
    return message.answer(f"Hello, {name}!")  # sent by the dispatcher's caller


@dp.message()
async def echo(message: Message) -> None:
    await message.answer((message.text or "").upper())


bot = Bot(token=os.environ["TELEGRAM_BOT_TOKEN"])

if __name__ == "__main__":
    asyncio.run(dp.start_polling(bot))

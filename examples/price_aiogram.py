"""A price bot on aiogram: /price SYMBOL, with a button to refresh. No network: a local table.

    tgserve run examples/price_aiogram.py       # on a local Telegram, in the browser

The token and Bot API URL come from the environment (`tgserve run` sets both).
"""

from __future__ import annotations

import itertools
import os

from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

PRICES = {"BTC": 64_250.00, "ETH": 3_120.50, "TON": 5.42, "EUR": 1.08}
_ticks = itertools.count(1)
router = Router()


def quote(symbol: str) -> str:
    """The table price, moved a little on every call, as a market would."""
    tick = next(_ticks)
    drift = 1 + ((tick * 7919) % 21 - 10) / 1000
    return f"{symbol}: {PRICES[symbol] * drift:,.2f} USD (quote #{tick})"


def refresh_button(symbol: str) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(text="Refresh", callback_data=f"refresh:{symbol}")
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


@router.message(CommandStart())
async def start(message: Message) -> None:
    await message.answer(f"Send /price SYMBOL. I know {', '.join(sorted(PRICES))}.")


@router.message(Command("price"))
async def price(message: Message, command: CommandObject) -> None:
    symbol = (command.args or "").strip().upper()
    if symbol not in PRICES:
        await message.answer(f"Unknown symbol. Try one of {', '.join(sorted(PRICES))}.")
        return
    await message.answer(quote(symbol), reply_markup=refresh_button(symbol))


@router.callback_query(F.data.startswith("refresh:"))
async def refresh(query: CallbackQuery) -> None:
    symbol = str(query.data).split(":", 1)[1]
    if symbol not in PRICES or not isinstance(query.message, Message):
        await query.answer("Unknown symbol")
        return
    await query.message.edit_text(quote(symbol), reply_markup=refresh_button(symbol))
    await query.answer("Updated")


def make_bot(token: str, api_url: str) -> Bot:
    return Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(api_url)))


dp = Dispatcher()
dp.include_router(router)

_token = os.environ.get("TELEGRAM_BOT_TOKEN")
if not _token:
    raise RuntimeError("set TELEGRAM_BOT_TOKEN, or run on a local Telegram: tgserve run ...")
bot = make_bot(_token, os.environ.get("TGSERVE_API_URL", "https://api.telegram.org"))

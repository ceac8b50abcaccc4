"""An aiogram bot shaped like aiogram's examples/finite_state_machine.py (no tgserve code)."""

from __future__ import annotations

import os

from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import KeyboardButton, Message, ReplyKeyboardMarkup, ReplyKeyboardRemove


class Form(StatesGroup):
    name = State()
    like_bots = State()
    language = State()


def form_router() -> Router:
    router = Router()

    @router.message(CommandStart())
    async def command_start(message: Message, state: FSMContext) -> None:
        await state.set_state(Form.name)
        await message.answer("Hi there! What's your name?", reply_markup=ReplyKeyboardRemove())

    @router.message(Command("cancel"))
    async def cancel_handler(message: Message, state: FSMContext) -> None:
        if await state.get_state() is None:
            return
        await state.clear()
        await message.answer("Cancelled.", reply_markup=ReplyKeyboardRemove())

    @router.message(Form.name)
    async def process_name(message: Message, state: FSMContext) -> None:
        await state.update_data(name=message.text)
        await state.set_state(Form.like_bots)
        keyboard = [[KeyboardButton(text="Yes"), KeyboardButton(text="No")]]
        await message.answer(
            f"Nice to meet you, {message.text}!\nDid you like to write bots?",
            reply_markup=ReplyKeyboardMarkup(keyboard=keyboard, resize_keyboard=True),
        )

    @router.message(Form.like_bots, F.text.casefold() == "no")
    async def process_dont_like_write_bots(message: Message, state: FSMContext) -> None:
        await state.clear()
        await message.answer("Not bad not terrible.\nSee you soon.")

    @router.message(Form.like_bots, F.text.casefold() == "yes")
    async def process_like_write_bots(message: Message, state: FSMContext) -> None:
        await state.set_state(Form.language)
        await message.reply(
            "Cool! I'm too!\nWhat programming language did you use?",
            reply_markup=ReplyKeyboardRemove(),
        )

    @router.message(Form.like_bots)
    async def process_unknown_write_bots(message: Message) -> None:
        await message.reply("I don't understand you :(")

    @router.message(Form.language)
    async def process_language(message: Message, state: FSMContext) -> None:
        data = await state.update_data(language=message.text)
        await state.clear()
        await message.answer(
            f"I'll keep in mind that, {data['name']}, you like to write bots with "
            f"{data['language']}."
        )

    return router


def build(token: str, api_url: str) -> tuple[Dispatcher, Bot]:
    dp = Dispatcher()
    dp.include_router(form_router())
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_url))
    return dp, Bot(token, session=session)


dispatcher, bot = (
    build(os.environ["TELEGRAM_BOT_TOKEN"], os.environ["TGSERVE_API_URL"])
    if "STATE_TEST_AIOGRAM" in os.environ
    else (None, None)
)

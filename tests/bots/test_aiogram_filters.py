"""aiogram's pure ``F`` filters run on the loop; the bot's own filter code still in a thread."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ChatType
from aiogram.filters import Command
from aiogram.types import Message

from tests.conftest import TOKEN
from tgserve._bots.aiogram import AiogramBot
from tgserve._bots.aiogram_filters import inline_pure_filters, pure
from tgserve.testing import BotAPIStub, serve


def _record(value: Any) -> bool:
    return True


@pytest.mark.parametrize(
    ("magic", "expected"),
    [
        (F.text, True),
        (F.text == "hi", True),
        (F.chat.type == ChatType.PRIVATE, True),
        (F.data.startswith("btn_") & (F.from_user.id == 5), True),
        (F.text.in_({"a", "b"}) | F.caption.contains("x"), True),
        (~F.photo, True),
        (F.photo[-1].file_id, True),
        (F.text.len() > 3, True),
        (F.text.regexp(r"\d+"), True),
        (F.text.regexp(r"\d+").as_("digits"), True),
        (F.text == F.caption, True),
        (F.text.upper() == "A", True),
        (F.text.func(_record), False),  # the bot's code
        (F.text.cast(int), False),
        (F.text == object(), False),  # an operand whose comparison may run anything
        (F.from_user.get_profile_photos(), False),  # not a str method
        (F.text.lower().func(_record), False),
    ],
)
def test_pure_tells_what_runs_no_code_of_the_bots(magic: Any, expected: bool) -> None:
    assert pure(magic) is expected


def _message(update_id: int, text: str | None, *, photo: bool = False) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": update_id,
        "date": 1_700_000_000,
        "chat": {"id": 1000 + update_id, "type": "private"},
        "from": {"id": 1000 + update_id, "is_bot": False, "first_name": "A"},
    }
    if text is not None:
        message["text"] = text
    if photo:
        message["photo"] = [{"file_id": "p", "file_unique_id": "u", "width": 1, "height": 1}]
    return {"update_id": update_id, "message": message}


async def test_a_dispatcher_answers_alike_with_its_pure_filters_on_the_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    threads: list[threading.Thread] = []

    def own_filter(text: Any) -> bool:
        threads.append(threading.current_thread())
        return text == "own"

    dp, inner = Dispatcher(), Router()
    dp.include_router(inner)
    dp.message.filter(F.chat.type == ChatType.PRIVATE)  # an observer's own filter

    @dp.message(Command("start"))
    async def start(message: Message) -> None:
        await message.answer("started")

    @dp.message(F.text.func(own_filter))
    async def own(message: Message) -> None:
        await message.answer("own filter")

    @inner.message(F.text.startswith("n") & (F.text.len() > 2))
    async def number(message: Message) -> None:
        await message.answer(f"n: {message.text}")

    @inner.message(F.photo)
    async def photo(message: Message) -> None:
        await message.answer("photo")

    handed: list[Any] = []
    to_thread = asyncio.to_thread

    async def counting(func: Any, *args: Any, **kwargs: Any) -> Any:
        handed.append(func)
        return await to_thread(func, *args, **kwargs)

    monkeypatch.setattr(asyncio, "to_thread", counting)
    stub = BotAPIStub()
    async with serve(stub) as url:
        bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(url)))
        adapter = AiogramBot(dp, bot)
        await adapter.startup(long_running=True)
        try:
            updates = [
                _message(1, "/start"),
                _message(2, "own"),
                _message(3, "n42"),
                _message(4, "no"),  # too short: no handler
                _message(5, None, photo=True),
                _message(6, "n"),
            ]
            for update in updates:
                await adapter.handle(update)
        finally:
            await adapter.shutdown()
    answers = {int(c.params["chat_id"]): c.params["text"] for c in stub.sent()}
    assert answers == {1001: "started", 1002: "own filter", 1003: "n: n42", 1005: "photo"}
    # only the bot's own filter went to a thread: once for each update that reached it
    assert len(handed) == len(threads) == 5
    assert all(t is not threading.main_thread() for t in threads)


def test_inline_pure_filters_marks_only_pure_ones_and_once() -> None:
    dp, inner = Dispatcher(), Router()
    dp.include_router(inner)
    dp.message.filter(F.chat.type == "private")
    dp.message.register(_handler, F.text)
    inner.callback_query.register(_handler, F.data.func(_record))
    inner.message.register(_handler, F.text == "a", F.caption.cast(str))
    assert inline_pure_filters(dp) == 3
    assert inline_pure_filters(dp) == 0  # marked already: left as they are


async def _handler(event: Any) -> None:
    return None

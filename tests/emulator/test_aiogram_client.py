"""aiogram's own Bot, pointed at the emulator, calls and parses every method."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest, TelegramConflictError
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyParameters,
)

from tests.emulator.test_api import PNG_1x1
from tgserve.emulator import Emulator, Message


@pytest.fixture
async def bot(tg: Emulator) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(tg.api_url))
    client = Bot(tg.token, session=session)
    try:
        yield client
    finally:
        await client.session.close()


async def test_aiogram_bot_methods(tg: Emulator, bot: Bot) -> None:
    alice = tg.user("alice")
    me = await bot.get_me()
    assert me.username == "test_bot"
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Go", callback_data="go")]]
    )
    sent = await bot.send_message(
        alice.id, "*bold* and _it_", parse_mode="MarkdownV2", reply_markup=keyboard
    )
    assert sent.text == "bold and it" and sent.entities is not None
    assert [e.type for e in sent.entities] == ["bold", "italic"]
    assert sent.reply_markup is not None
    assert sent.reply_markup.inline_keyboard[0][0].callback_data == "go"
    reply = await bot.send_message(
        alice.id, "re", reply_parameters=ReplyParameters(message_id=sent.message_id)
    )
    assert reply.reply_to_message is not None
    edited = await bot.edit_message_text(text="new", chat_id=alice.id, message_id=sent.message_id)
    assert not isinstance(edited, bool) and edited.text == "new"
    marked = await bot.edit_message_reply_markup(
        chat_id=alice.id, message_id=sent.message_id, reply_markup=keyboard
    )
    assert not isinstance(marked, bool) and marked.reply_markup is not None
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(alice.id, 999)
    assert await bot.delete_message(alice.id, reply.message_id)
    assert await bot.send_chat_action(alice.id, "typing")
    photo = await bot.send_photo(alice.id, BufferedInputFile(PNG_1x1, "p.png"), caption="c")
    assert photo.photo is not None and photo.photo[0].width == 1
    doc = await bot.send_document(alice.id, BufferedInputFile(b"data", "d.bin"))
    assert doc.document is not None
    file = await bot.get_file(doc.document.file_id)
    assert file.file_path is not None
    downloaded = await bot.download_file(file.file_path)
    assert downloaded is not None and downloaded.read() == b"data"
    chat = await bot.get_chat(alice.id)
    assert chat.id == alice.id
    assert await bot.set_my_commands([BotCommand(command="price", description="Price")])
    assert [c.command for c in await bot.get_my_commands()] == ["price"]

    press = await alice.press(sent_message(tg, alice.id, sent.message_id), "Go")
    updates = await bot.get_updates()
    query = updates[-1].callback_query
    assert query is not None and query.data == "go"
    assert await bot.answer_callback_query(query.id, text="ok", show_alert=True)
    assert (await press.answered())["show_alert"] is True

    assert await bot.set_webhook("http://127.0.0.1:9/h", max_connections=5)
    info = await bot.get_webhook_info()
    assert info.max_connections == 5
    with pytest.raises(TelegramConflictError):
        await bot.get_updates()
    assert await bot.delete_webhook()
    assert await bot.log_out() and await bot.close()


def sent_message(tg: Emulator, chat_id: int, message_id: int) -> Message:
    return tg.world.conversation(tg.bot().id, chat_id).messages[message_id]

"""python-telegram-bot's own Bot, pointed at the emulator, calls and parses every method."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Conflict, NetworkError

from tests.emulator.test_api import PNG_1x1
from tgserve._bots.ptb_request import AiohttpRequest
from tgserve.emulator import Emulator


def ptb_bot(tg: Emulator, request: str = "httpx") -> Bot:
    extra: dict[str, Any] = {}
    if request == "aiohttp":
        extra = {"request": AiohttpRequest(), "get_updates_request": AiohttpRequest(1)}
    return Bot(
        tg.token, base_url=f"{tg.api_url}/bot", base_file_url=f"{tg.api_url}/file/bot", **extra
    )


@pytest.mark.parametrize("request_kind", ["httpx", "aiohttp"])
async def test_ptb_bot_methods(tg: Emulator, request_kind: str) -> None:
    alice = tg.user("alice")
    async with ptb_bot(tg, request_kind) as bot:
        me = await bot.get_me()
        assert me.username == "test_bot" and me.is_bot
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="y")]])
        sent = await bot.send_message(
            alice.id, "<b>Hello</b> &amp; welcome", parse_mode=ParseMode.HTML, reply_markup=keyboard
        )
        assert sent.text == "Hello & welcome" and sent.entities[0].type == "bold"
        assert sent.reply_markup == keyboard and sent.chat.id == alice.id
        replied = await bot.send_message(
            alice.id,
            "re",
            reply_parameters=ReplyParameters(sent.message_id),
            reply_markup=ReplyKeyboardMarkup([["A", "B"]]),
        )
        assert replied.reply_to_message is not None
        assert replied.reply_to_message.message_id == sent.message_id
        edited = await bot.edit_message_text("Changed", alice.id, sent.message_id)
        assert not isinstance(edited, bool) and edited.text == "Changed"
        assert edited.edit_date is not None
        again = await bot.edit_message_reply_markup(
            alice.id, sent.message_id, reply_markup=keyboard
        )
        assert not isinstance(again, bool) and again.reply_markup == keyboard
        try:
            await bot.edit_message_reply_markup(alice.id, sent.message_id, reply_markup=keyboard)
        except BadRequest as error:
            assert "not modified" in error.message
        else:
            raise AssertionError("an unchanged edit must fail")
        assert await bot.delete_message(alice.id, replied.message_id)
        assert await bot.send_chat_action(alice.id, ChatAction.TYPING)
        photo = await bot.send_photo(alice.id, PNG_1x1, caption="pixel")
        assert photo.photo[0].width == 1 and photo.caption == "pixel"
        document = await bot.send_document(alice.id, b"a,b\n1,2\n", filename="t.csv")
        assert document.document is not None and document.document.file_name == "t.csv"
        file = await bot.get_file(document.document.file_id)
        assert await file.download_as_bytearray() == bytearray(b"a,b\n1,2\n")
        chat = await bot.get_chat(alice.id)
        assert chat.id == alice.id and chat.first_name == "Alice"
        assert await bot.set_my_commands([BotCommand("start", "Start it")])
        assert [c.command for c in await bot.get_my_commands()] == ["start"]

        press = await alice.press(tg.world.conversation(me.id, alice.id).messages[1], "Yes")
        updates = await bot.get_updates()
        query = updates[-1].callback_query
        assert query is not None and query.data == "y" and query.from_user.id == alice.id
        assert await bot.answer_callback_query(query.id, text="done")
        assert (await press.answered())["text"] == "done"

        assert await bot.set_webhook("http://127.0.0.1:9/hook", secret_token="abc")
        info = await bot.get_webhook_info()
        assert info.url == "http://127.0.0.1:9/hook" and info.max_connections == 40
        try:
            await bot.get_updates()
        except Conflict as error:
            assert "webhook is active" in error.message
        else:
            raise AssertionError("getUpdates must conflict with a webhook")
        assert await bot.delete_webhook(drop_pending_updates=True)
        assert await bot.log_out() and await bot.close()


async def test_ptb_sees_user_messages(tg: Emulator) -> None:
    alice = tg.user("alice")
    await alice.send("/start now")
    await alice.send_photo(PNG_1x1, caption="look")
    async with ptb_bot(tg) as bot:
        first, second = await bot.get_updates()
        assert first.message is not None and first.message.text == "/start now"
        assert first.message.entities[0].type == "bot_command"
        assert second.message is not None and second.message.photo[0].height == 1
        file = await bot.get_file(second.message.photo[-1].file_id)
        assert bytes(await file.download_as_bytearray()) == PNG_1x1


async def test_aiohttp_request_errors_are_ptbs_own() -> None:
    request = AiohttpRequest(connect_timeout=1.0)
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:9/x", "POST")
    async with request:
        with pytest.raises(NetworkError) as caught:
            await request.do_request("http://127.0.0.1:9/bot123:secret/getMe", "POST")
    assert "ClientConnectorError" in caught.value.message and "secret" not in caught.value.message


async def test_ptb_long_polling(tg: Emulator) -> None:
    from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text("polled")

    app = (
        ApplicationBuilder()
        .token(tg.token)
        .base_url(f"{tg.api_url}/bot")
        .base_file_url(f"{tg.api_url}/file/bot")
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    alice = tg.user("alice")
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        await app.start()
        try:
            await alice.send("/start")
            assert (await alice.chat.next_message()).text == "polled"
        finally:
            await app.updater.stop()
            await app.stop()

"""Plain, PTB and aiogram bots over a real uvicorn socket, replying to a real Bot API stub.

Telegram's way of delivering is imitated: each chat's updates are posted one after another,
chats concurrently, and 10% of the updates are posted again.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

import tgserve
from tests.conftest import SECRET, TOKEN
from tgserve.testing import BotAPIStub, serve

pytestmark = pytest.mark.timeout(120)

CHATS = 50
PER_CHAT = 20
HEADERS = {"x-telegram-bot-api-secret-token": SECRET}


def make_update(update_id: int, chat: int, text: str) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": update_id,
        "date": 1_700_000_000,
        "chat": {"id": chat, "type": "private", "first_name": "u"},
        "from": {"id": chat, "is_bot": False, "first_name": "u"},
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    return {"update_id": update_id, "message": message}


def conversation() -> dict[int, list[dict[str, Any]]]:
    """Per chat: /start, then numbered messages; update ids interleave across chats."""
    updates: dict[int, list[dict[str, Any]]] = {}
    next_id = 1000
    for step in range(PER_CHAT):
        for chat in range(1, CHATS + 1):
            text = "/start" if step == 0 else f"m{step}"
            updates.setdefault(chat, []).append(make_update(next_id, chat, text))
            next_id += 1
    return updates


async def deliver(url: str, updates: dict[int, list[dict[str, Any]]]) -> None:
    """Post each chat's updates in order, chats concurrently, re-posting 10%."""
    rng = random.Random(7)

    async def one_chat(client: httpx.AsyncClient, items: list[dict[str, Any]]) -> None:
        for update in items:
            for _ in range(2 if rng.random() < 0.1 else 1):
                r = await client.post("/webhook", json=update, headers=HEADERS)
                assert r.status_code == 200, r.text

    async with httpx.AsyncClient(base_url=url, limits=httpx.Limits(max_connections=40)) as c:
        await asyncio.gather(*(one_chat(c, items) for items in updates.values()))


def expected_reply(update: dict[str, Any]) -> str:
    text = update["message"]["text"]
    return "started" if text == "/start" else f"got {text}"


async def plain_bot(api_url: str) -> tuple[Any, Any]:
    async def handle(update: dict[str, Any], bot: tgserve.BotAPI) -> None:
        message = update["message"]
        await asyncio.sleep(random.random() / 500)
        await bot.call("sendMessage", chat_id=message["chat"]["id"], text=expected_reply(update))

    return handle, None


async def ptb_bot(api_url: str) -> tuple[Any, Any]:
    from telegram import Update
    from telegram.ext import (
        ApplicationBuilder,
        CommandHandler,
        ContextTypes,
        ConversationHandler,
        MessageHandler,
        filters,
    )

    talking = 1

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        assert update.effective_chat is not None
        await context.bot.send_message(update.effective_chat.id, "started")
        return talking

    async def talk(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        assert update.message is not None and update.effective_chat is not None
        await asyncio.sleep(random.random() / 500)
        await update.message.reply_text(f"got {update.message.text}")
        return talking

    app = ApplicationBuilder().token(TOKEN).base_url(f"{api_url}/bot").updater(None).build()
    app.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("start", start)],
            states={talking: [MessageHandler(filters.TEXT & ~filters.COMMAND, talk)]},
            fallbacks=[],
        )
    )
    return app, None


async def aiogram_bot(api_url: str) -> tuple[Any, Any]:
    from aiogram import Bot, Dispatcher, F
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.filters import CommandStart
    from aiogram.types import Message

    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer("started")

    @dp.message(F.text)
    async def talk(message: Message) -> None:
        await asyncio.sleep(random.random() / 500)
        await message.answer(f"got {message.text}")

    session = AiohttpSession(api=TelegramAPIServer.from_base(api_url))
    return dp, Bot(TOKEN, session=session)


BOTS: dict[str, Callable[[str], Any]] = {"plain": plain_bot, "ptb": ptb_bot, "aiogram": aiogram_bot}


@pytest.fixture
async def stub() -> AsyncIterator[tuple[BotAPIStub, str]]:
    api = BotAPIStub()
    async with serve(api) as url:
        yield api, url


@pytest.mark.parametrize("kind", sorted(BOTS))
async def test_thousand_updates_once_each_in_chat_order(
    kind: str, stub: tuple[BotAPIStub, str]
) -> None:
    api, api_url = stub
    target, bot = await BOTS[kind](api_url)
    app = tgserve.asgi(target, bot=bot, token=TOKEN, api_url=api_url, secret_token=SECRET)
    updates = conversation()
    async with serve(app) as url:
        await deliver(url, updates)
        await api.wait_for(CHATS * PER_CHAT, timeout=60)
        await asyncio.sleep(0.1)  # anything sent twice would show up now
    assert len(api.sent()) == CHATS * PER_CHAT
    for chat, items in updates.items():
        replies = [c.params["text"] for c in api.by_chat[chat] if c.method == "sendMessage"]
        assert replies == [expected_reply(u) for u in items], f"chat {chat} out of order"
    assert app.runtime.counts["handled"] == CHATS * PER_CHAT
    assert app.runtime.counts["duplicates"] > 0
    assert app.runtime.state == "stopped"


async def test_stop_during_load_finishes_accepted_and_refuses_later(
    stub: tuple[BotAPIStub, str],
) -> None:
    _, api_url = stub
    done: list[int] = []

    async def slow(update: dict[str, Any], bot: tgserve.BotAPI) -> None:
        await asyncio.sleep(0.05)
        done.append(update["update_id"])

    app = tgserve.asgi(slow, token=TOKEN, api_url=api_url, max_concurrency=8)
    accepted: list[int] = []
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
        for i in range(1, 101):
            r = await client.post("/webhook", json=make_update(i, i % 10, "x"))
            assert r.status_code == 200
            accepted.append(i)
        stopping = asyncio.ensure_future(app.runtime.stop())
        await asyncio.sleep(0)
        late = await client.post("/webhook", json=make_update(500, 1, "late"))
        assert late.status_code == 503
        assert late.json()["ok"] is False
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        await stopping
        assert sorted(done) == accepted
        after = await client.post("/webhook", json=make_update(501, 1, "later"))
        assert after.status_code == 503
    assert 500 not in done and 501 not in done

"""The polling host against the emulator's getUpdates: order, offsets, refusals, backoff."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

import tgserve
from tgserve._hosts import polling
from tgserve._hosts.polling import Poller, PollingError
from tgserve._runtime import Runtime
from tgserve.emulator import Emulator

pytestmark = pytest.mark.timeout(60)


class Seen:
    def __init__(self) -> None:
        self.by_chat: dict[int, list[str]] = {}
        self.ids: list[int] = []

    async def __call__(self, update: dict[str, Any], bot: tgserve.BotAPI) -> None:
        message = update["message"]
        self.ids.append(update["update_id"])
        self.by_chat.setdefault(message["chat"]["id"], []).append(message["text"])
        await asyncio.sleep(0.001)
        await bot.call("sendMessage", chat_id=message["chat"]["id"], text="ok")

    async def wait(self, count: int, timeout: float = 10) -> None:
        async with asyncio.timeout(timeout):
            while len(self.ids) < count:
                await asyncio.sleep(0.01)


@pytest.fixture
async def tg() -> AsyncIterator[Emulator]:
    async with Emulator() as emulator:
        yield emulator


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(polling, "BACKOFF_START", 0.05)


@contextlib.asynccontextmanager
async def polling_bot(
    tg: Emulator, handler: Any, token: str | None = None, bot: Any = None, **kwargs: Any
) -> AsyncIterator[Poller]:
    config = tgserve.Config.load(
        {"token": token or tg.token, "api_url": tg.api_url, "limits": "off"}, env={}
    )
    runtime = Runtime(handler, config, bot=bot, host="polling")
    api = tgserve.BotAPI(token or tg.token, tg.api_url, max_retries=0)
    poller = Poller(runtime, api, timeout=1, **kwargs)
    task = asyncio.ensure_future(poller.run())
    try:
        yield poller
    finally:
        poller.stop()
        await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), 10)


async def test_each_update_once_in_chat_order_and_offset_committed(tg: Emulator) -> None:
    seen = Seen()
    users = [tg.user(f"user{i}") for i in range(5)]
    async with polling_bot(tg, seen) as poller:
        for n in range(20):
            for user in users:
                await user.send(f"m{n}")
        await seen.wait(100)
    assert sorted(seen.ids) == sorted(set(seen.ids)) and len(seen.ids) == 100
    for texts in seen.by_chat.values():
        assert texts == [f"m{n}" for n in range(20)]
    assert poller.offset == max(seen.ids) + 1
    assert tg.bot().updates == []  # the final getUpdates confirmed the last batch


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_framework_bots_poll_in_chat_order(tg: Emulator, framework: str) -> None:
    seen: dict[int, list[str]] = {}
    users = [tg.user(f"user{i}") for i in range(3)]

    def record(chat_id: int, text: str | None) -> None:
        seen.setdefault(chat_id, []).append(text or "")

    bot: Any = None
    if framework == "aiogram":
        from aiogram import Bot, Dispatcher, F
        from aiogram.client.session.aiohttp import AiohttpSession
        from aiogram.client.telegram import TelegramAPIServer
        from aiogram.types import Message

        api = TelegramAPIServer.from_base(tg.api_url)
        bot = Bot(tg.token, session=AiohttpSession(api=api))
        target: Any = Dispatcher()

        @target.message(F.text)
        async def on_text(message: Message) -> None:
            record(message.chat.id, message.text)
            await message.answer("ok")

    else:
        from telegram import Update
        from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

        target = ApplicationBuilder().token(tg.token).base_url(f"{tg.api_url}/bot").build()

        async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            assert update.message is not None
            record(update.message.chat.id, update.message.text)
            await update.message.reply_text("ok")

        target.add_handler(MessageHandler(filters.TEXT, echo))
    async with polling_bot(tg, target, bot=bot):
        for n in range(10):
            for user in users:
                await user.send(f"m{n}")
        async with asyncio.timeout(20):
            while sum(map(len, seen.values())) < 30:
                await asyncio.sleep(0.02)
        for user in users:
            await user.chat.wait_for_text("ok")
    assert sorted(seen) == sorted(u.id for u in users)
    assert all(texts == [f"m{n}" for n in range(10)] for texts in seen.values())


async def test_updates_sent_while_stopped_come_next_time(tg: Emulator) -> None:
    seen = Seen()
    user = tg.user("ann")
    async with polling_bot(tg, seen):
        await user.send("one")
        await seen.wait(1)
    await user.send("two")
    async with polling_bot(tg, seen):
        await seen.wait(2)
    assert list(seen.by_chat.values()) == [["one", "two"]]


async def test_webhook_set_is_a_clear_error_or_deleted(tg: Emulator) -> None:
    api = tgserve.BotAPI(tg.token, tg.api_url)
    await api.call("setWebhook", url="https://example.invalid/webhook")
    await api.close()
    seen = Seen()
    async with polling_bot(tg, seen) as poller:
        task = asyncio.ensure_future(poller._loop())
        with pytest.raises(PollingError, match="--delete-webhook"):
            await asyncio.wait_for(task, 5)
    async with polling_bot(tg, seen, delete_webhook=True):
        await tg.user("bob").send("hi")
        await seen.wait(1)
    assert tg.bot().webhook is None


async def test_refused_token_is_fatal() -> None:
    from tests.conftest import TOKEN

    async with Emulator(tokens=[TOKEN]) as tg:
        bad = "999:" + "A" * 35
        config = tgserve.Config.load({"token": bad, "api_url": tg.api_url}, env={})
        runtime = Runtime(Seen(), config, host="polling")
        api = tgserve.BotAPI(bad, tg.api_url, max_retries=0)
        with pytest.raises(PollingError, match="refused the bot token"):
            await asyncio.wait_for(Poller(runtime, api, timeout=1).run(), 10)
        assert runtime.state == "stopped"


async def test_server_errors_back_off_and_429_waits(
    tg: Emulator, logwatch: Any, caplog: pytest.LogCaptureFixture
) -> None:
    seen = Seen()
    tg.faults.fail("getUpdates", times=3, status=502)
    tg.faults.fail("getUpdates", times=1, status=429, retry_after=1)
    caplog.set_level(logging.INFO)
    began = time.monotonic()
    async with polling_bot(tg, seen):
        await tg.user("cat").send("hi")
        await seen.wait(1)
    waited = time.monotonic() - began
    text = logwatch.text()
    assert text.count("getUpdates failed") >= 3 and "flood control: waiting 1s" in text
    assert waited >= 0.05 + 0.1 + 0.2 + 1.0


async def test_network_errors_back_off(tg: Emulator, logwatch: Any) -> None:
    seen = Seen()
    tg.faults.drop("getUpdates", times=2)
    async with polling_bot(tg, seen):
        await tg.user("dan").send("hi")
        await seen.wait(1)
    assert logwatch.text().count("getUpdates failed") >= 2


async def test_another_poller_conflict_waits_and_retries(tg: Emulator, logwatch: Any) -> None:
    seen = Seen()
    tg.faults.fail(
        "getUpdates",
        times=2,
        status=409,
        description="Conflict: terminated by other getUpdates request",
    )
    async with polling_bot(tg, seen):
        await tg.user("eve").send("hi")
        await seen.wait(1)
    assert "another getUpdates poller is running" in logwatch.text()

"""The PTB and aiogram adapters' speed measures: PTB's httpx calls a few at a time and a hint
to use aiohttp, and aiogram's response models built once."""

from __future__ import annotations

import asyncio
import gc
import logging
from typing import Any

import pytest
from aiogram.methods.base import Response
from aiogram.types import Message
from telegram import Bot
from telegram.ext import ApplicationBuilder
from telegram.request import HTTPXRequest

from tests.conftest import TOKEN
from tgserve._bots import adapt
from tgserve._bots.aiogram import _response_models, keep_response_models
from tgserve._bots.ptb import PTBBot
from tgserve._bots.ptb_request import AiohttpRequest
from tgserve._config import Config
from tgserve.testing import BotAPIStub, serve


@pytest.mark.parametrize("aiohttp", [False, True])
async def test_a_ptb_bot_on_httpx_gets_one_hint(
    aiohttp: bool, caplog: pytest.LogCaptureFixture
) -> None:
    async with serve(BotAPIStub()) as url:
        builder = ApplicationBuilder().token(TOKEN).base_url(f"{url}/bot").updater(None)
        if aiohttp:
            builder = builder.request(AiohttpRequest())
        adapter = PTBBot(builder.build())
        with caplog.at_level(logging.INFO, "tgserve.ptb"):
            await adapter.startup(long_running=True)
            await adapter.shutdown()
    hints = [r for r in caplog.records if "served through" in r.getMessage()]
    assert len(hints) == 1  # the stock request swapped: the bot's, or its getUpdates one
    assert ("bot calls on aiohttp" in hints[0].getMessage()) is not aiohttp


class SlowStub(BotAPIStub):
    """Answers after 20 ms and records the most calls it had in progress at once."""

    def __init__(self) -> None:
        super().__init__()
        self.in_flight = self.most_in_flight = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await super().__call__(scope, receive, send)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.02)
            await super().__call__(scope, receive, send)
        finally:
            self.in_flight -= 1


LIMIT = 3  # max_in_flight in these tests


async def _send_at_once(
    request: HTTPXRequest | None, calls: int, *, files: bool = False
) -> SlowStub:
    stub = SlowStub()
    async with serve(stub) as url:
        builder = ApplicationBuilder().token(TOKEN).base_url(f"{url}/bot").updater(None)
        if request is not None:
            builder = builder.request(request)
        app = builder.build()
        adapter = adapt(app, Config.load({"max_in_flight": LIMIT}, {}))
        assert isinstance(adapter, PTBBot)
        for _ in range(2):  # a restart (the WSGI host's loop thread) limits afresh
            await adapter.startup(long_running=False)
            bot: Bot = app.bot
            await asyncio.gather(
                *(
                    bot.send_document(chat_id=i, document=b"%PDF-1.4", filename="a.pdf")
                    if files
                    else bot.send_message(chat_id=i, text="hi")
                    for i in range(calls)
                )
            )
            await adapter.shutdown()
            assert "do_request" not in vars(app.bot.request)  # PTB's own method again
    assert len(stub.sent("sendDocument" if files else "sendMessage")) == 2 * calls
    return stub


async def test_ptb_stock_httpx_request_sends_a_few_calls_at_a_time() -> None:
    stub = await _send_at_once(None, 24)
    assert stub.most_in_flight == LIMIT


async def test_ptb_file_uploads_do_not_wait_behind_replies() -> None:
    stub = await _send_at_once(None, 24, files=True)
    assert stub.most_in_flight > LIMIT


async def test_ptb_custom_request_is_left_alone() -> None:
    class OwnRequest(HTTPXRequest):
        pass

    stub = await _send_at_once(OwnRequest(connection_pool_size=64), 24)
    assert stub.most_in_flight > LIMIT


def test_response_models_survive_garbage_collection() -> None:
    keep_response_models()
    kept = len(_response_models)
    assert kept > 30  # one per distinct result type of aiogram's methods
    first = id(Response[Message])
    gc.collect()
    assert id(Response[Message]) == first
    keep_response_models()
    assert len(_response_models) == kept  # built once per process

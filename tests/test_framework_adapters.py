"""The PTB and aiogram adapters' speed measures: a hint for PTB on httpx, and aiogram's
response models built once."""

from __future__ import annotations

import gc
import logging

import pytest
from aiogram.methods.base import Response
from aiogram.types import Message
from telegram.ext import ApplicationBuilder

from tests.conftest import TOKEN
from tgserve.bots.aiogram import _response_models, keep_response_models
from tgserve.bots.ptb import PTBBot
from tgserve.bots.ptb_request import AiohttpRequest
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
            await adapter.startup(server=True)
            await adapter.shutdown()
    hints = [r for r in caplog.records if "AiohttpRequest" in r.getMessage()]
    assert len(hints) == (0 if aiohttp else 1)


def test_response_models_survive_garbage_collection() -> None:
    keep_response_models()
    kept = len(_response_models)
    assert kept > 30  # one per distinct result type of aiogram's methods
    first = id(Response[Message])
    gc.collect()
    assert id(Response[Message]) == first
    keep_response_models()
    assert len(_response_models) == kept  # built once per process

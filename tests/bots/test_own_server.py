"""A PTB or aiogram bot calls the Bot API server it was built with; ``api_url`` cannot move
it, so a difference is said in one warning (seen in a trial: TGSERVE_API_URL at a local
Telegram, and the bot still calling api.telegram.org)."""

from __future__ import annotations

import logging

import pytest
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from telegram.ext import ApplicationBuilder

import tgserve
from tests.conftest import TOKEN

LOCAL = "http://127.0.0.1:8081"


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_ptb_built_for_telegram_under_a_local_api_url_is_warned(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tgserve.asgi(ApplicationBuilder().token(TOKEN).build(), api_url=LOCAL)
    [line] = warnings_of(caplog)
    assert f"api_url is {LOCAL}, but this PTB bot calls" in line
    assert TOKEN not in caplog.text


def test_ptb_built_for_that_server_is_not(caplog: pytest.LogCaptureFixture) -> None:
    app = ApplicationBuilder().token(TOKEN).base_url(f"{LOCAL}/bot").build()
    tgserve.asgi(app, api_url=LOCAL)
    tgserve.asgi(ApplicationBuilder().token(TOKEN).build())  # both on api.telegram.org
    assert warnings_of(caplog) == []


async def test_aiogram_likewise(caplog: pytest.LogCaptureFixture) -> None:
    far = Bot(TOKEN)
    near = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(LOCAL)))
    try:
        tgserve.asgi(Dispatcher(), bot=near, api_url=LOCAL)
        assert warnings_of(caplog) == []
        tgserve.asgi(Dispatcher(), bot=far, api_url=LOCAL)
        [line] = warnings_of(caplog)
        assert "but this aiogram bot calls" in line
    finally:
        await far.session.close()
        await near.session.close()

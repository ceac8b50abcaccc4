"""1,000 sequential invocations in one process, as a warm Lambda container sees them:
every reply arrives through the Bot API, on one loop and one HTTP client throughout."""

from __future__ import annotations

import asyncio.base_events
import itertools
import json
from collections.abc import Callable, Iterator
from typing import Any

import aiohttp
import httpx
import pytest
from tests.conftest import TOKEN
from tests.hosts.lambda_.stub import stub_in_thread

import tgserve
from tgserve import _redact as redact
from tgserve._hosts.aws_lambda import LambdaHandler
from tgserve._hosts.lambda_samples import SOURCES, LocalContext, event
from tgserve.testing import BotAPIStub

pytestmark = pytest.mark.timeout(120)
COUNT = 1000
CHATS = 50


@pytest.fixture(scope="module")
def api() -> Iterator[tuple[str, BotAPIStub]]:
    with stub_in_thread() as served:
        yield served


def update(update_id: int) -> bytes:
    chat = 1000 + update_id % CHATS
    message = {
        "message_id": update_id,
        "date": 1700000000,
        "chat": {"id": chat, "type": "private", "first_name": "U"},
        "from": {"id": chat, "is_bot": False, "first_name": "U"},
        "text": f"m{update_id}",
    }
    return json.dumps({"update_id": update_id, "message": message}).encode()


def plain(api_url: str) -> tuple[LambdaHandler, Callable[[], object]]:
    async def echo(update: dict[str, Any], bot: tgserve.BotAPI) -> None:
        message = update["message"]
        await bot.call("sendMessage", chat_id=message["chat"]["id"], text=message["text"])

    handler = tgserve.aws_lambda(echo, token=TOKEN, api_url=api_url)
    bot = handler.runtime.adapter.bot  # type: ignore[attr-defined]
    return handler, lambda: bot._transport.client


def ptb(api_url: str) -> tuple[LambdaHandler, Callable[[], object]]:
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

    redact.install(TOKEN)  # PTB logs its URLs, token included, when it is built
    app = ApplicationBuilder().token(TOKEN).base_url(f"{api_url}/bot").updater(None).build()

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        await update.message.reply_text(update.message.text)

    app.add_handler(MessageHandler(filters.TEXT, echo))
    return tgserve.aws_lambda(app), lambda: app.bot._request[1]._client  # type: ignore[attr-defined]


def aiogram_bot(api_url: str) -> tuple[LambdaHandler, Callable[[], object]]:
    from aiogram import Bot, Dispatcher
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import Message

    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api_url)))
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    session = bot.session
    assert isinstance(session, AiohttpSession)
    return tgserve.aws_lambda(dp, bot=bot), lambda: session._session


class Counting:
    """Counts new event loops and HTTP clients made while it is on."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.made: list[str] = []
        for cls in (asyncio.base_events.BaseEventLoop, httpx.AsyncClient, aiohttp.ClientSession):
            monkeypatch.setattr(cls, "__init__", self._wrap(cls.__name__, cls.__init__))

    def _wrap(self, name: str, init: Any) -> Any:
        def counted(obj: Any, *args: Any, **kwargs: Any) -> None:
            self.made.append(name)
            init(obj, *args, **kwargs)

        return counted


@pytest.mark.parametrize("make", [ptb, aiogram_bot, plain], ids=["ptb", "aiogram", "plain"])
def test_a_thousand_warm_invocations(
    api: tuple[str, BotAPIStub],
    make: Callable[[str], tuple[LambdaHandler, Callable[[], object]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, stub = api
    before = len(stub.sent())
    handler, client_of = make(url)
    sources = itertools.cycle(SOURCES)
    base = 10_000 * (1 + before // COUNT)
    try:
        first = handler(event(next(sources), "POST", "/webhook", body=update(base)), LocalContext())
        assert first["statusCode"] == 200, first
        loop, client = handler.loop, client_of()
        assert loop is not None and client is not None
        counting = Counting(monkeypatch)
        for n in range(1, COUNT):
            ev = event(next(sources), "POST", "/webhook", body=update(base + n))
            result = handler(ev, LocalContext())
            assert result["statusCode"] == 200, result
        assert counting.made == [], "a loop or client was made after the first invocation"
        assert handler.loop is loop and client_of() is client and not loop.is_closed()
        assert handler.runtime.counts["handled"] == COUNT
    finally:
        monkeypatch.undo()
        handler.close(5.0)
    sent = stub.sent()[before:]
    assert len(sent) == COUNT
    assert sorted(int(c.params["text"][1:]) for c in sent) == list(range(base, base + COUNT))
    for call in sent:
        assert call.params["chat_id"] in (str(c) for c in range(1000, 1000 + CHATS)) or (
            call.params["chat_id"] in range(1000, 1000 + CHATS)
        )

"""No log line shows the token or the secret: any host, any library, DEBUG everywhere."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

import tgserve
from tests.conftest import SECRET, TOKEN, LogWatch
from tests.contract.hosts import HOSTS
from tests.hygiene.conftest import JSONLines
from tgserve import _redact as redact
from tgserve.testing import BotAPIStub, serve

pytestmark = pytest.mark.timeout(60)

GOOD = {"x-telegram-bot-api-secret-token": SECRET, "content-type": "application/json"}
PRIVATE = "my-private-words-in-an-update"
LOGGERS = ("httpx", "httpcore.http11", "telegram.ext.Application", "telegram.Bot", "aiogram.event")


@pytest.fixture
async def stub_url() -> AsyncIterator[str]:
    async with serve(BotAPIStub()) as url:
        yield url


def assert_clean(lines: list[str]) -> None:
    text = "\n".join(lines)
    assert TOKEN not in text and TOKEN.split(":")[1] not in text
    assert SECRET not in text
    assert TOKEN.replace(":", "%3A") not in text


@pytest.mark.parametrize("name", LOGGERS)
def test_every_library_logger_is_masked(name: str, jsonlog: JSONLines) -> None:
    redact.install(TOKEN, SECRET)
    log = logging.getLogger(name)
    log.debug("POST https://api.telegram.org/bot%s/getMe secret=%s", TOKEN, SECRET)
    log.info("quoted %r", {"url": f"/bot{TOKEN.replace(':', '%3A')}/x"})
    log.warning("another bot's token: %s", "987654321:" + "Q" * 35)
    try:
        raise RuntimeError(f"cannot reach /bot{TOKEN}/sendMessage")
    except RuntimeError:
        log.exception("failed with %s", SECRET)
    log.error("stack", stack_info=True, extra={"update_id": 5})
    assert len(jsonlog.records) == 5
    assert_clean(jsonlog.lines)
    for record in jsonlog.records:
        assert TOKEN not in str(record.args) and TOKEN not in str(record.msg)
    assert all(redact.MASK in line for line in jsonlog.lines[:4])
    assert "RuntimeError" in json.loads(jsonlog.lines[3])["exc"]


def test_redaction_costs_little() -> None:
    redact.install(TOKEN, SECRET)
    log = logging.getLogger("tgserve.test.cost")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    log.addHandler(logging.NullHandler())
    n = 20_000
    began = time.perf_counter()
    for i in range(n):
        log.debug("update %d handled in %.1f ms for chat %s", i, 1.5, "x")
    per_record = (time.perf_counter() - began) / n
    plain = logging.LogRecord("x", logging.DEBUG, __file__, 1, "update %d", (1,), None)
    began = time.perf_counter()
    for _ in range(n):
        redact.scrub(plain)
    per_scrub = (time.perf_counter() - began) / n
    print(
        f"\nredaction: {per_scrub * 1e6:.2f} us per record, {per_record * 1e6:.2f} us per log call"
    )
    assert per_scrub < 50e-6  # generous bound for a loaded CI box; typically ~1-2 us


async def leaky_bot(update: dict[str, Any], bot: tgserve.BotAPI) -> None:
    """Calls the Bot API (httpx logs the URL, token inside) and fails on update 2."""
    await bot.call("sendMessage", chat_id=update["message"]["chat"]["id"], text="hi")
    if update["update_id"] == 2:
        raise ValueError(f"handler broke near /bot{TOKEN}/x and {SECRET}")


def body(update_id: int) -> bytes:
    message = {"message_id": 1, "date": 0, "chat": {"id": 77, "type": "private"}, "text": PRIVATE}
    return json.dumps({"update_id": update_id, "message": message}).encode()


@pytest.mark.parametrize("host", sorted(HOSTS))
async def test_no_host_logs_the_token(
    host: str, stub_url: str, jsonlog: JSONLines, logwatch: LogWatch
) -> None:
    options = {"token": TOKEN, "secret_token": SECRET, "api_url": stub_url, "ack": "inline"}
    async with HOSTS[host](leaky_bot, options) as client:
        for update_id in (1, 2, 3):
            reply = await client.request("POST", "/webhook", headers=GOOD, body=body(update_id))
            assert reply.status == 200
        wrong = await client.request("POST", "/webhook", headers={}, body=body(4))
        assert wrong.status == 401
    assert_clean(jsonlog.lines)
    assert_clean(logwatch.lines)
    masked = [line for line in jsonlog.lines if redact.MASK in line]
    assert masked, "the test never logged a token-bearing line, so it proves nothing"
    failures = [json.loads(line) for line in jsonlog.lines if "handler failed" in line]
    assert len(failures) == 1, "a handler exception is logged once"
    failure = failures[0]
    assert failure["update_id"] == 2 and failure["chat_id"] == 77 and failure["outcome"] == "failed"
    assert "ValueError" in failure["exc"] and "Traceback" in failure["exc"]
    info_up = [r.getMessage() for r in jsonlog.records if r.levelno >= logging.INFO]
    assert not any(PRIVATE in line for line in info_up), "the update body was logged at INFO+"


async def test_ptb_and_aiogram_records_are_masked(stub_url: str, jsonlog: JSONLines) -> None:
    from aiogram import Bot, Dispatcher
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import Message
    from telegram.ext import ApplicationBuilder, MessageHandler, filters

    async def echo(update: Any, context: Any) -> None:
        await update.message.reply_text("ptb")

    ptb = ApplicationBuilder().token(TOKEN).base_url(f"{stub_url}/bot").updater(None).build()
    ptb.add_handler(MessageHandler(filters.TEXT, echo))
    dp = Dispatcher()

    @dp.message()
    async def answer(message: Message) -> None:
        await message.answer("aiogram")

    session = AiohttpSession(api=TelegramAPIServer.from_base(stub_url))
    for target, bot in ((ptb, None), (dp, Bot(TOKEN, session=session))):
        options = {"secret_token": SECRET, "ack": "inline", "bot": bot}
        async with HOSTS["asgi"](target, options) as client:
            reply = await client.request("POST", "/webhook", headers=GOOD, body=body(9))
            assert reply.status == 200
    names = {r.name.split(".")[0] for r in jsonlog.records}
    assert {"telegram", "httpx"} <= names
    assert_clean(jsonlog.lines)
    print(f"\nloggers seen: {sorted(names)}")


def test_format_errors_are_masked_too(jsonlog: JSONLines) -> None:
    redact.install(TOKEN)
    logging.getLogger("httpx").info("bad %d format", TOKEN)
    assert_clean(jsonlog.lines)
    assert "bad" in jsonlog.lines[0]

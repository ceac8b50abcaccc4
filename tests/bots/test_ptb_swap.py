"""PTB's stock HTTPXRequest served through AiohttpRequest: same settings, opt-out, no subclass."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from telegram.ext import Application, ApplicationBuilder
from telegram.request import BaseRequest, HTTPXRequest

from tests.conftest import TOKEN
from tgserve._bots import adapt
from tgserve._bots.ptb import PTBBot
from tgserve._bots.ptb_request import AiohttpRequest
from tgserve._bots.ptb_swap import aiohttp_copy, swap_requests
from tgserve._config import Config
from tgserve.testing import BotAPIStub, serve

pytestmark = pytest.mark.timeout(30)

PROXY = "http://127.0.0.1:3128"


def requests_of(app: Application[Any, Any, Any, Any, Any, Any]) -> tuple[Any, Any]:
    got: tuple[BaseRequest, BaseRequest] = app.bot._request
    return got


def test_the_copy_keeps_every_setting() -> None:
    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .connection_pool_size(17)
        .read_timeout(7.5)
        .write_timeout(3.0)
        .connect_timeout(2.0)
        .pool_timeout(0.5)
        .proxy(PROXY)
        .get_updates_connection_pool_size(2)
        .get_updates_read_timeout(30.0)
        .get_updates_pool_timeout(None)
        .updater(None)
        .build()
    )
    get_updates, bot_calls = requests_of(app)
    assert swap_requests(app.bot) == (get_updates, bot_calls)
    new_updates, new_calls = requests_of(app)
    assert isinstance(new_calls, AiohttpRequest) and isinstance(new_updates, AiohttpRequest)
    assert new_calls.connections == 17 and new_updates.connections == 2
    assert new_calls.timeouts == {"read": 7.5, "write": 3.0, "connect": 2.0, "pool": 0.5}
    assert new_updates.timeouts == {"read": 30.0, "write": 5.0, "connect": 5.0, "pool": None}
    assert new_calls.proxy == PROXY and new_updates.proxy is None  # proxy is per request
    assert new_calls.keepalive == 5.0  # httpx's keep-alive expiry
    assert new_calls.uploads is bot_calls  # files keep the original, with its write timeouts
    assert new_calls.read_timeout == 7.5


def test_one_request_in_both_roles_gets_one_copy() -> None:
    shared = HTTPXRequest(connection_pool_size=4)
    builder = ApplicationBuilder().token(TOKEN).updater(None)
    app = builder.request(shared).get_updates_request(shared).build()
    swap_requests(app.bot)
    first, second = requests_of(app)
    assert first is second and isinstance(first, AiohttpRequest) and first.connections == 4


class OwnRequest(HTTPXRequest):
    pass


@pytest.mark.parametrize(
    ("request_", "why"),
    [
        (OwnRequest(), "not PTB's stock"),
        (HTTPXRequest(httpx_kwargs={"verify": False}), "httpx_kwargs"),
        (HTTPXRequest(socket_options=[(6, 1, 1)]), "socket options"),
        (HTTPXRequest(proxy="https://127.0.0.1:3128"), "proxy"),
        (AiohttpRequest(), "not PTB's stock"),
    ],
    ids=["subclass", "httpx_kwargs", "socket_options", "https-proxy", "aiohttp"],
)
def test_anything_else_is_left_alone(request_: BaseRequest, why: str) -> None:
    reason = aiohttp_copy(request_)
    assert isinstance(reason, str) and why in reason


def test_a_proxy_only_httpx_reads_keeps_httpx(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALL_PROXY", PROXY)  # httpx reads ALL_PROXY, aiohttp does not
    assert "environment" in aiohttp_copy(HTTPXRequest())
    monkeypatch.delenv("ALL_PROXY")
    monkeypatch.setenv("HTTPS_PROXY", PROXY)
    assert isinstance(aiohttp_copy(HTTPXRequest()), AiohttpRequest)  # aiohttp reads it alike


async def _start_and_send(
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any], config: Config, stub: BotAPIStub
) -> tuple[Any, Any]:
    """Start the bot as tgserve does, send a reply and a file, stop; the requests it used."""
    app = builder.updater(None).build()
    before = requests_of(app)
    adapter = adapt(app, config)
    assert isinstance(adapter, PTBBot)
    await adapter.startup(long_running=True)
    used = requests_of(app)
    await app.bot.send_message(chat_id=1, text="hi")
    await app.bot.send_document(chat_id=1, document=b"%PDF-1.4", filename="a.pdf")
    await adapter.shutdown()
    assert requests_of(app) == before  # the originals are put back
    assert len(stub.sent("sendMessage")) == 1 and len(stub.sent("sendDocument")) == 1
    return used


async def test_a_stock_bot_is_served_through_aiohttp_with_one_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stub = BotAPIStub()
    async with serve(stub) as url:
        builder = ApplicationBuilder().token(TOKEN).base_url(f"{url}/bot")
        with caplog.at_level(logging.INFO, "tgserve.ptb"):
            used = await _start_and_send(builder, Config.load({}, {}), stub)
    assert all(isinstance(r, AiohttpRequest) for r in used)
    lines = [r.getMessage() for r in caplog.records if r.name == "tgserve.ptb"]
    assert len(lines) == 1 and "served through tgserve's AiohttpRequest" in lines[0]
    assert TOKEN not in lines[0]


@pytest.mark.parametrize("how", ["option", "env"])
async def test_the_opt_out_keeps_httpx(how: str) -> None:
    config = (
        Config.load({"ptb_aiohttp": False}, {})
        if how == "option"
        else Config.load({}, {"TGSERVE_PTB_AIOHTTP": "0"})
    )
    stub = BotAPIStub()
    async with serve(stub) as url:
        builder = ApplicationBuilder().token(TOKEN).base_url(f"{url}/bot")
        used = await _start_and_send(builder, config, stub)
    assert all(type(r) is HTTPXRequest for r in used)


async def test_a_subclass_is_never_swapped() -> None:
    stub = BotAPIStub()
    async with serve(stub) as url:
        builder = ApplicationBuilder().token(TOKEN).base_url(f"{url}/bot")
        builder = builder.request(OwnRequest()).get_updates_request(OwnRequest())
        used = await _start_and_send(builder, Config.load({}, {}), stub)
    assert all(type(r) is OwnRequest for r in used)

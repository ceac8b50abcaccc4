"""PTB bots, unchanged, keep their state across two runtimes that take turns on one store."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram.ext import ApplicationBuilder, PicklePersistence

from tests.conftest import TOKEN, LogWatch
from tests.state import ptb_bots
from tests.state.alternate import alternating
from tgserve._bots.ptb import PTBBot
from tgserve._config import Config
from tgserve._runtime import Runtime
from tgserve.emulator import Emulator
from tgserve.state import Change
from tgserve.state._backends import backend_for

pytestmark = pytest.mark.timeout(60)
SHARED = ["sqlite", "redis", "postgresql"]


@pytest.fixture
async def tg() -> AsyncIterator[Emulator]:
    async with Emulator(time_scale=0.01) as emulator:
        yield emulator


async def said(user: object, text: str) -> str:
    await user.send(text)  # type: ignore[attr-defined]
    message = await user.chat.next_message(timeout=10)  # type: ignore[attr-defined]
    return str(message.text)


@pytest.mark.parametrize("store_url", SHARED, indirect=True)
async def test_three_step_conversation_alternating(tg: Emulator, store_url: str) -> None:
    apps = [(ptb_bots.three_step(tg.token, tg.api_url), None) for _ in range(2)]
    users = [tg.user(f"user{i}") for i in range(10)]
    async with alternating(tg, apps, store=store_url, ack="inline") as runtimes:

        async def talk(i: int) -> list[str]:
            user = users[i]
            return [await said(user, t) for t in ("/start", f"n{i}", str(20 + i))]

        replies = await asyncio.gather(*(talk(i) for i in range(10)))
        again = await said(users[0], "/start")
    assert replies == [["name?", "age?", f"done n{i} {20 + i} #3"] for i in range(10)]
    assert again == "name?"
    assert all(r.counts["handled"] > 10 for r in runtimes)  # both took turns


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
async def test_nested_conversation_alternating(tg: Emulator, store_url: str) -> None:
    apps = [(ptb_bots.nested(tg.token, tg.api_url), None) for _ in range(2)]
    alice = tg.user("alice")
    async with alternating(tg, apps, store=store_url, ack="inline"):
        got = [
            await said(alice, t) for t in ("/start", "add", "tea", "add", "milk", "list", "/stop")
        ]
        await alice.send("list")
        await asyncio.sleep(0.3)
    assert got == [
        "menu: add, list or /stop",
        "item?",
        "added tea",
        "item?",
        "added milk",
        "items: tea, milk",
        "bye",
    ]
    assert len(alice.chat.bot_messages) == 7  # after /stop nothing answers "list"


@pytest.mark.parametrize("store_url", ["redis"], indirect=True)
async def test_callback_data_buttons_alternating(tg: Emulator, store_url: str) -> None:
    apps = [(ptb_bots.buttons(tg.token, tg.api_url), None) for _ in range(2)]
    alice = tg.user("alice")
    async with alternating(tg, apps, store=store_url, ack="inline"):
        await alice.send("/start")
        message = await alice.chat.next_message(timeout=10)
        for number in ("2", "3", "1"):
            press = await alice.press(message, number)
            await press.answered()
            assert await alice.chat.next_edit(timeout=10) is message
    assert message.text == "so far: 2, 3, 1"


@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)
async def test_conversation_timeout_holds_across_runtimes(tg: Emulator, store_url: str) -> None:
    apps = [(ptb_bots.timed(tg.token, tg.api_url, 1.0), None) for _ in range(2)]
    alice = tg.user("alice")
    async with alternating(tg, apps, store=store_url, ack="inline"):
        assert await said(alice, "/start") == "name?"  # first runtime: its job at +1.0 s
        await asyncio.sleep(0.5)
        assert await said(alice, "bob") == "age?"  # second runtime, renewed: +1.5 s
        await asyncio.sleep(0.7)  # the first runtime's job fired: stale, it did nothing
        assert [m.text for m in alice.chat.bot_messages] == ["name?", "age?"]
        timeout = await alice.chat.next_message(timeout=5)  # the second's job, at +1.5 s
        assert timeout.text == "timed out"
        await asyncio.sleep(0.2)
        assert await said(alice, "42") == "say /start"  # ended in the store, on either
        assert await said(alice, "/start") == "name?"
        await asyncio.sleep(1.3)
        assert (await alice.chat.next_message(timeout=5)).text == "timed out"
        assert await said(alice, "42") == "say /start"
    assert [m.text for m in alice.chat.bot_messages].count("timed out") == 2


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
async def test_a_bad_record_fails_its_update_only(
    tg: Emulator, store_url: str, logwatch: LogWatch
) -> None:
    apps = [(ptb_bots.three_step(tg.token, tg.api_url), None) for _ in range(2)]
    alice, bob = tg.user("alice"), tg.user("bob")
    async with alternating(tg, apps, store=store_url, ack="inline") as runtimes:
        backend = backend_for(runtimes[0].store, None)
        await backend.write([Change(f"u:{alice.id}", {"steps": b"{broken"})])
        await alice.send("/start")
        assert await said(bob, "/start") == "name?"
        assert await said(bob, "bob") == "age?"
        await asyncio.sleep(0.2)
    assert alice.chat.bot_messages == []
    assert sum(r.counts["failed"] for r in runtimes) == 1
    bot_id = tg.token.split(":")[0]
    assert f"bot {bot_id}, state key 'u:{alice.id}', field 'steps'" in logwatch.text()
    assert f"chat {alice.id}" in logwatch.text()


def test_own_persistence_is_kept_and_named_per_process(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    persistence = PicklePersistence(tmp_path / "data.pickle")
    app = ApplicationBuilder().token(TOKEN).persistence(persistence).updater(None).build()
    caplog.set_level(logging.WARNING, "tgserve.state")
    runtime = Runtime(app, Config.load({"store": f"sqlite:///{tmp_path}/s.db"}, env={}))
    assert isinstance(runtime.adapter, PTBBot) and runtime.adapter.state is not None
    assert app.persistence is persistence  # kept; the state is in the store as well
    assert "PicklePersistence keeps its data per process" in caplog.text


@pytest.mark.parametrize(
    ("store", "state", "on"),
    [("memory://", "auto", False), ("memory://", "on", True), ("sqlite:///x.db", "off", False)],
)
def test_state_option(store: str, state: str, on: bool, tmp_path: Path) -> None:
    app = ptb_bots.three_step(TOKEN, "http://127.0.0.1:9")
    store = store.replace("x.db", str(tmp_path / "x.db"))
    runtime = Runtime(app, Config.load({"store": store, "state": state}, env={}))
    assert isinstance(runtime.adapter, PTBBot)
    assert (runtime.adapter.state is not None) is on


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
async def test_an_unsaveable_value_fails_loudly_naming_key_and_type(
    tg: Emulator, store_url: str, logwatch: LogWatch
) -> None:
    from telegram import Update
    from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

    async def keep(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert context.user_data is not None and update.message is not None
        context.user_data["ok"] = 1
        context.user_data["lock"] = asyncio.Lock()
        await update.message.reply_text("kept?")

    app = ApplicationBuilder().token(tg.token).base_url(f"{tg.api_url}/bot").updater(None).build()
    app.add_handler(CommandHandler("keep", keep))
    alice = tg.user("alice")
    async with alternating(tg, [(app, None)], store=store_url, ack="inline") as (runtime,):
        assert await said(alice, "/keep") == "kept?"
        await asyncio.sleep(0.1)
        stored = await backend_for(runtime.store, None).read([f"u:{alice.id}"])
    assert runtime.counts["failed"] == 1
    assert stored == {}  # nothing half-saved
    assert f"state key 'u:{alice.id}', field 'lock'" in logwatch.text()
    assert "asyncio.locks.Lock is not JSON" in logwatch.text()

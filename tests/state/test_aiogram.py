"""aiogram: a Dispatcher on the default MemoryStorage keeps its FSM in the store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiogram import Dispatcher
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.memory import MemoryStorage

from tests.conftest import TOKEN
from tests.state import aiogram_bots
from tests.state.alternate import alternating
from tests.state.conftest import OpenStore
from tgserve._bots.aiogram import AiogramBot
from tgserve._config import Config
from tgserve._runtime import Runtime
from tgserve.emulator import Emulator
from tgserve.state._aiogram import StoreStorage
from tgserve.state._attach import attach_state

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def tg() -> AsyncIterator[Emulator]:
    async with Emulator(time_scale=0.01) as emulator:
        yield emulator


@pytest.mark.parametrize("store_url", ["redis"], indirect=True)
async def test_finite_state_machine_alternating(tg: Emulator, store_url: str) -> None:
    bots = [aiogram_bots.build(tg.token, tg.api_url) for _ in range(2)]
    users = [tg.user(f"u{i}") for i in range(6)]
    async with alternating(tg, list(bots), store=store_url, ack="inline") as runtimes:

        async def talk(i: int) -> str:
            user = users[i]
            for text in ("/start", f"name{i}", "maybe", "Yes", "Python"):
                await user.send(text)
                last = await user.chat.next_message(timeout=10)
            return str(last.text)

        finals = await asyncio.gather(*(talk(i) for i in range(6)))
    assert finals == [
        f"I'll keep in mind that, name{i}, you like to write bots with Python." for i in range(6)
    ]
    assert all(isinstance(dp.fsm.storage, StoreStorage) for dp, _ in bots)
    assert all(r.counts["handled"] >= 10 for r in runtimes)


@pytest.mark.parametrize("store_url", ["sqlite", "redis", "postgresql"], indirect=True)
async def test_every_part_of_the_storage_key_counts(open_stores: OpenStore, store_url: str) -> None:
    store = await open_stores()
    from aiogram import Bot

    dp = Dispatcher()
    adapter = AiogramBot(dp, Bot(TOKEN))
    attach_state(adapter, store, Config.load({"store": store_url}, env={}), "asgi")
    storage = dp.fsm.storage
    assert isinstance(storage, StoreStorage)
    base = StorageKey(bot_id=7, chat_id=1, user_id=2)
    keys = [
        base,
        StorageKey(bot_id=8, chat_id=1, user_id=2),
        StorageKey(bot_id=7, chat_id=1, user_id=2, thread_id=5),
        StorageKey(bot_id=7, chat_id=1, user_id=2, business_connection_id="bc"),
        StorageKey(bot_id=7, chat_id=1, user_id=2, destiny="other"),
    ]
    for i, key in enumerate(keys):
        await storage.set_state(key, f"s{i}")
        await storage.set_data(key, {"i": i})
    for i, key in enumerate(keys):
        assert await storage.get_state(key) == f"s{i}"
        assert await storage.get_data(key) == {"i": i}
    assert await storage.update_data(base, {"x": (1, 2)}) == {"i": 0, "x": (1, 2)}
    await storage.set_state(base, None)
    await storage.set_data(base, {})
    assert await storage.get_state(base) is None and await storage.get_data(base) == {}


def test_own_storage_is_left_alone(tmp_path: object) -> None:
    from aiogram import Bot

    own = MemoryStorage()
    own.storage[StorageKey(1, 1, 1)].state = "kept"
    for dp, on in ((Dispatcher(storage=own), False), (Dispatcher(), True)):
        Runtime(dp, Config.load({"store": f"sqlite:///{tmp_path}/s.db"}, env={}), bot=Bot(TOKEN))
        assert isinstance(dp.fsm.storage, StoreStorage) is on

"""Plain bots: chat_state() and user_state() follow the chat across runtimes taking turns."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

import tgserve
from tests.state.alternate import alternating
from tgserve.emulator import Emulator
from tgserve.state import chat_state, user_state

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def tg() -> AsyncIterator[Emulator]:
    async with Emulator(time_scale=0.01) as emulator:
        yield emulator


async def counter(update: dict[str, Any], bot: tgserve.BotAPI) -> None:
    chat, user = await chat_state(), await user_state()
    chat["n"] = chat.get("n", 0) + 1
    user.setdefault("seen", set()).add(update["message"]["text"])
    text = f"{chat['n']} {sorted(user['seen'])}"
    await bot.call("sendMessage", chat_id=update["message"]["chat"]["id"], text=text)


@pytest.mark.parametrize("store_url", ["sqlite", "postgresql"], indirect=True)
async def test_counts_follow_the_chat(tg: Emulator, store_url: str) -> None:
    alice = tg.user("alice")
    async with alternating(tg, [(counter, None), (counter, None)], store=store_url, ack="inline"):
        got = []
        for text in ("a", "b", "a", "c"):
            await alice.send(text)
            got.append((await alice.chat.next_message(timeout=10)).text)
    assert got == ["1 ['a']", "2 ['a', 'b']", "3 ['a', 'b']", "4 ['a', 'b', 'c']"]


async def test_outside_a_handler_there_is_no_state() -> None:
    with pytest.raises(LookupError, match="inside a plain bot's handler"):
        await chat_state()


async def test_a_handler_that_never_asks_reads_nothing(tg: Emulator) -> None:
    calls: list[str] = []

    async def quiet(update: dict[str, Any], bot: tgserve.BotAPI) -> None:
        await bot.call("sendMessage", chat_id=update["message"]["chat"]["id"], text="ok")

    async with alternating(tg, [(quiet, None)], store="memory://", state="on") as runtimes:
        records = runtimes[0].adapter.state.records  # type: ignore[attr-defined]
        real_read = records.read

        async def read(keys: Any) -> Any:
            calls.append("read")
            return await real_read(keys)

        records.read = read
        alice = tg.user("alice")
        await alice.send("hi")
        assert (await alice.chat.next_message(timeout=10)).text == "ok"
    assert calls == []

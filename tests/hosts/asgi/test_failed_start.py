"""A start that fails in the ASGI lifespan stops what did start: the server exits without a
lifespan shutdown, and a bot left running would keep its tasks, sessions and locks."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import ApplicationBuilder

import tgserve
from tgserve.emulator import Emulator

UNKNOWN = "999999:AAunknown-to-this-telegram_xxxxxxxxxxxx"


async def plain(update: dict[str, Any], bot: tgserve.BotAPI) -> None:
    return None


def left_tasks() -> set[asyncio.Task[Any]]:
    return {t for t in asyncio.all_tasks() if t is not asyncio.current_task()}


def names(tasks: set[asyncio.Task[Any]]) -> set[str]:
    return {getattr(t.get_coro(), "__qualname__", repr(t)) for t in tasks}


async def test_many_bots_one_failing_stops_the_others(tmp_path: Path) -> None:
    async with Emulator() as tg:
        before = left_tasks()
        ptb = ApplicationBuilder().token(UNKNOWN).base_url(f"{tg.api_url}/bot").build()
        app = tgserve.asgi(
            {
                "a": tgserve.spec(plain, token=tg.add_bot("A", "a_bot")),
                "b": tgserve.spec(plain, token=tg.add_bot("B", "b_bot")),
                "broken": tgserve.spec(ptb),
            },
            api_url=tg.api_url,
            store=f"sqlite:///{tmp_path}/bots.db",
            gc_freeze=False,
        )
        with pytest.raises(Exception):  # noqa: B017 - PTB's own error for the refused token
            async with app.lifespan():
                raise AssertionError("the start should have failed")
        states = {bot_id: w.runtime.state for bot_id, w in app.bots.webhooks.items()}
        assert states == {"a": "stopped", "b": "stopped", "broken": "stopped"}
        await asyncio.sleep(0)
        assert names(left_tasks() - before) == set()


async def test_one_bot_failing_closes_its_store(tmp_path: Path) -> None:
    async with Emulator() as tg:
        before = left_tasks()
        ptb = ApplicationBuilder().token(UNKNOWN).base_url(f"{tg.api_url}/bot").build()
        app = tgserve.asgi(ptb, store=f"sqlite:///{tmp_path}/bot.db", gc_freeze=False)
        sent: list[dict[str, Any]] = []
        messages = iter([{"type": "lifespan.startup"}])

        async def receive() -> dict[str, Any]:
            return next(messages)

        async def send(message: Any) -> None:
            sent.append(dict(message))

        await app({"type": "lifespan"}, receive, send)
        assert sent[0]["type"] == "lifespan.startup.failed"
        assert app.runtime.state == "stopped"
        await asyncio.sleep(0)
        assert names(left_tasks() - before) == set()

"""The governor on its own: which calls count, budgets and cooldown shared through each
store, replies before bulk sends, a long retry_after refused loudly, the option."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tgserve._config import Config, ConfigError
from tgserve._stores import Store, open_store
from tgserve.limits import (
    Governor,
    Limits,
    MemoryLedger,
    OutOfBudget,
    charges,
    open_ledger,
    parse,
    scope,
)

pytestmark = pytest.mark.timeout(60)


def keys(method: str, **params: Any) -> list[str]:
    return [c.key for c in charges(Limits(), method, params)]


def test_which_calls_spend_which_budgets() -> None:
    assert keys("getMe") == [] and keys("answerCallbackQuery", callback_query_id="1") == []
    assert keys("sendMessage", chat_id=5) == ["bot", "chat:5"]
    assert keys("sendMessage", chat_id=-1001, text="x") == ["bot", "chat:-1001", "group:-1001"]
    assert keys("sendPhoto", chat_id="@channel") == ["bot", "chat:@channel", "group:@channel"]
    assert keys("editMessageText", chat_id=5, message_id=1) == ["bot", "chat:5"]
    assert keys("editMessageText", inline_message_id="abc") == ["bot"]
    assert keys("sendMessage", chat_id=5, allow_paid_broadcast=True) == ["paid", "chat:5"]
    album = charges(Limits(), "sendMediaGroup", {"chat_id": 5, "media": [{}, {}, {}]})
    assert album[0].cost == pytest.approx(3 / 30 / 0.95)


def test_the_option_and_its_errors() -> None:
    assert Config.load(env={}).limits == Limits()
    assert Config.load(env={"TGSERVE_LIMITS": "off"}).limits is None
    assert Config.load({"limits": False}, env={}).limits is None
    assert Config.load(env={"TGSERVE_LIMITS": "bot=100, chat=2"}).limits == Limits(bot=100, chat=2)
    assert parse({"group": 10}) == Limits(group=10)
    for bad, message in [
        ("bot=0", "bot must be a number above 0"),
        ("paid=-5", "paid must be a number above 0"),
        ("chat", "is not name=number"),
        ("rate=3", "unknown name(s) rate"),
    ]:
        with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
            Config.load(env={"TGSERVE_LIMITS": bad})


@pytest.fixture(params=["sqlite", "redis", "postgres"])
async def two_stores(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[Store, Store]]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'limits.db'}"
    else:
        url = str(request.getfixturevalue(f"{request.param}_url"))
    namespace = f"gov{time.monotonic_ns()}"
    stores = (open_store(url, namespace=namespace), open_store(url, namespace=namespace))
    for store in stores:
        await store.open()
    try:
        yield stores
    finally:
        for store in stores:
            await store.close()


async def test_budgets_and_cooldown_are_shared_through_the_store(
    two_stores: tuple[Store, Store],
) -> None:
    a, b = (Governor(Limits(bot=20, chat=100), open_ledger(s, s.namespace)) for s in two_stores)  # type: ignore[attr-defined]
    assert a.ledger.shared and b.ledger.shared
    began = time.monotonic()
    for n in range(20):  # 20 sends at 20/s between two processes' ledgers: about 1 s
        await (a if n % 2 else b).acquire("sendMessage", {"chat_id": n})
    took = time.monotonic() - began
    assert 0.85 <= took < 3.0, took
    await a.flooded(1.5)
    assert 1.0 < await b.cooldown() <= 1.5
    began = time.monotonic()
    with scope(None):
        await b.acquire("sendMessage", {"chat_id": 99})
    assert time.monotonic() - began >= 1.0
    await b.acquire("getMe", {})  # not counted: never waits


async def test_replies_go_before_bulk_sends() -> None:
    governor = Governor(Limits(bot=20, chat=100), MemoryLedger())
    bulk_sent: list[float] = []

    async def bulk(n: int) -> None:
        await governor.acquire("sendMessage", {"chat_id": n})
        bulk_sent.append(time.monotonic())

    tasks = [asyncio.ensure_future(bulk(n)) for n in range(40)]  # two seconds of budget
    await asyncio.sleep(0.3)
    began = time.monotonic()
    with scope(asyncio.get_running_loop().time() + 5):
        for n in range(3):
            await governor.acquire("sendMessage", {"chat_id": 1000 + n})
    reply_wait = time.monotonic() - began
    assert reply_wait < 0.4, reply_wait  # three places at 20/s, not behind 30 bulk sends
    await asyncio.gather(*tasks)
    assert len(bulk_sent) == 40


async def test_a_retry_after_of_hours_is_refused_loudly(caplog: pytest.LogCaptureFixture) -> None:
    governor = Governor(Limits(), MemoryLedger())
    with caplog.at_level(logging.WARNING, "tgserve.limits"):
        await governor.flooded(3 * 3600)
    assert any(r.levelno == logging.ERROR and "3.0 h" in r.getMessage() for r in caplog.records)
    began = time.monotonic()
    with scope(None) as budget, pytest.raises(OutOfBudget, match="no send budget"):
        await governor.acquire("sendMessage", {"chat_id": 1})
    assert budget.short is not None and budget.short > 3 * 3600 - 5
    with pytest.raises(OutOfBudget):  # a bulk send does not sleep through it either
        await governor.acquire("sendMessage", {"chat_id": 1})
    assert time.monotonic() - began < 0.5
    assert governor.stats.short == 2 and governor.stats.flooded == 1

"""Polling with on_error="retry": a failed update is polled and handled again, in order."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import tgserve
from tgserve._hosts import polling
from tgserve._hosts.polling import Poller
from tgserve._runtime import Runtime
from tgserve.emulator import Emulator

pytestmark = pytest.mark.timeout(60)


async def run_poller(tg: Emulator, handler: Any, count: int, seen: list[Any]) -> Poller:
    options = {"token": tg.token, "api_url": tg.api_url, "on_error": "retry", "lease": 0.4}
    runtime = Runtime(handler, tgserve.Config.load(options, env={}), host="polling")
    poller = Poller(runtime, tgserve.BotAPI(tg.token, tg.api_url, max_retries=0), timeout=1)
    task = asyncio.ensure_future(poller.run())
    try:
        async with asyncio.timeout(20):
            while len(seen) < count:
                await asyncio.sleep(0.01)
    finally:
        poller.stop()
        await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), 10)
    return poller


async def test_a_failed_update_is_retried_before_its_chats_next_one(logwatch: Any) -> None:
    tries: list[str] = []
    deliveries: list[tgserve.UpdateDelivery | None] = []

    async def flaky(update: dict[str, Any], bot: tgserve.BotAPI) -> None:
        text = update["message"]["text"]
        tries.append(text)
        deliveries.append(tgserve.current_delivery())
        if text == "boom" and tries.count("boom") < 3:
            raise RuntimeError("failed on purpose")

    async with Emulator() as tg:
        user = tg.user("ann")
        await user.send("boom")
        await user.send("after")
        poller = await run_poller(tg, flaky, 4, tries)
        assert tg.bot().updates == []  # the offset was confirmed past both
    assert tries == ["boom", "boom", "boom", "after"]
    assert None not in deliveries
    boom, after = sorted({d.update_id for d in deliveries if d is not None})
    assert [(d.update_id, d.attempt, d.fence) for d in deliveries if d is not None] == [
        (boom, 1, None),  # no lock here, so no fencing token
        (boom, 2, None),
        (boom, 3, None),
        (after, 1, None),
    ]
    assert poller.runtime.counts["failed"] == 2 and poller.runtime.counts["handled"] == 2


async def test_an_update_that_always_fails_is_dropped_after_max_attempts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(polling, "MAX_ATTEMPTS", 2)
    tries: list[str] = []

    async def broken(update: dict[str, Any], bot: tgserve.BotAPI) -> None:
        tries.append(update["message"]["text"])
        if update["message"]["text"] == "boom":
            raise RuntimeError("failed on purpose")

    async with Emulator() as tg:
        user = tg.user("bob")
        await user.send("boom")
        await user.send("next")
        await run_poller(tg, broken, 3, tries)
    assert tries == ["boom", "boom", "next"]

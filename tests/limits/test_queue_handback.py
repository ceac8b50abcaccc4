"""Queue mode: a reply that cannot get its budget within the update's lease hands the
update back to the queue (delivered again after the cooldown) instead of sleeping."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from tests.conftest import TOKEN
from tgserve._config import Config
from tgserve._runtime import Runtime
from tgserve.testing import BotAPIStub, serve

pytestmark = pytest.mark.timeout(30)


async def test_no_budget_within_the_lease_hands_the_update_back() -> None:
    stub = BotAPIStub()
    stub.fail["sendMessage"] = [(429, 3.0)]
    runs: list[float] = []

    async def handle(update: dict[str, Any], bot: Any) -> None:
        runs.append(time.monotonic())
        await bot.call("sendMessage", chat_id=7, text="hello")

    async with serve(stub) as url:
        config = Config.load({"token": TOKEN, "api_url": url, "ack": "queue", "lease": 1.0}, env={})
        runtime = Runtime(handle, config, host="worker", long_running=False)
        await runtime.start()
        try:
            update = {"update_id": 1, "message": {"chat": {"id": 7}, "text": "hi"}}
            response = await runtime.accept(update)
            assert response.status == 200
            await stub.wait_for(1, timeout=15)
            assert runtime.counts["handed_back"] == 1
            assert runtime.counts.get("failed", 0) == 0
            assert len(runs) == 2 and runs[1] - runs[0] >= 2.5  # again after the cooldown
            assert [c.params["text"] for c in stub.sent()] == ["hello"]
            await asyncio.sleep(0.2)
            assert len(stub.sent()) == 1
        finally:
            await runtime.stop(1.0)

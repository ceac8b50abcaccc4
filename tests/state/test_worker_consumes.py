"""``tgserve worker`` consumes even when TGSERVE_CONSUME=0 (a .env shared with the webhook)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest

from tests.queue import procs
from tgserve._config import Config
from tgserve._runtime import Runtime

pytestmark = pytest.mark.timeout(60)


async def dropped(update: dict[str, Any], bot: Any) -> None:
    raise AssertionError("the webhook does not consume")


async def test_worker_consumes_whatever_tgserve_consume_says(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path}/queue.db"
    log = tmp_path / "handled.log"
    env = procs.bot_env(store, log, 4242, TGSERVE_CONSUME="0", TGSERVE_ACK="queue")
    webhook = Runtime(
        dropped,
        Config.load({}, env=env),  # the same environment: TGSERVE_CONSUME=0
        host="asgi",
    )
    assert webhook.worker is None
    worker = procs.worker(env, tmp_path / "worker.out", lease=5)
    await webhook.start()
    worker.start()
    try:
        for update_id in (1, 2, 3):
            assert (await webhook.accept(procs.update(update_id, chat=7))).status == 200
        async with asyncio.timeout(40):
            while procs.count_lines(log) < 3:
                await asyncio.sleep(0.05)
    finally:
        await webhook.stop()
        worker.stop()
    assert [line.update_id for line in procs.read_log(log)] == [1, 2, 3]
    assert {line.pid for line in procs.read_log(log)} == {worker.popen.pid if worker.popen else 0}
    assert os.getpid() not in {line.pid for line in procs.read_log(log)}
    procs.clean_output([worker.out])

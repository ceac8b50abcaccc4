"""``tgserve worker``: refuses an unshared store, handles stored updates, drains on SIGTERM."""

from __future__ import annotations

import asyncio
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.queue import procs
from tgserve._queueing import encode, queue_key
from tgserve._stores import QueueStore, open_store

pytestmark = pytest.mark.timeout(60)


def test_worker_refuses_the_memory_store(tmp_path: Path) -> None:
    env = procs.bot_env("memory://", tmp_path / "log", 1234567890)
    done = subprocess.run(
        [sys.executable, "-m", "tgserve", "worker", procs.BOT],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "tgserve: a worker needs a shared store: sqlite://, redis:// or postgresql://"
    ]


async def test_worker_handles_stored_updates_and_stops_on_sigterm(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/queue.db"
    bot_id = random.randrange(10**9, 10**10)
    store = open_store(url, namespace=str(bot_id), ttl=3600)
    assert isinstance(store, QueueStore)
    await store.open()
    try:
        for update_id in range(1, 31):
            update = procs.update(update_id, chat=update_id % 3)
            assert await store.enqueue(update_id, queue_key(update), encode(update))
        log = tmp_path / "handled.log"
        worker = procs.worker(procs.bot_env(url, log, bot_id), tmp_path / "worker.out", 5.0)
        worker.start()
        try:
            async with asyncio.timeout(30):
                while procs.count_lines(log) < 30:
                    await asyncio.sleep(0.05)
            worker.signal(signal.SIGTERM)
            assert await asyncio.to_thread(worker.wait) == 0
        finally:
            worker.stop()
        assert (await store.stats()).backlog == 0
    finally:
        await store.close()
    lines = procs.read_log(log)
    assert sorted(line.update_id for line in lines) == list(range(1, 31))
    for chat in range(3):
        ids = [line.update_id for line in lines if line.chat == chat]
        assert ids == sorted(ids)
    procs.clean_output([worker.out])

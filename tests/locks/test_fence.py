"""The polling lock's fencing token reaches the bot: two real ``tgserve poll`` processes on
one Redis lock; the holder is frozen (SIGSTOP) in a handler until the other takes over;
thawed, its late write carries the smaller fence and the bot's compare-and-set refuses it."""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import TOKEN
from tests.conftest_servers import redis_url
from tests.hosts.polling.procs import Poller, clean
from tests.locks.test_singleton import HOLDING, wait_text
from tgserve.emulator import Emulator

__all__ = ["redis_url"]
pytestmark = pytest.mark.timeout(90)
LEASE = 2.0
BOT = str(Path(__file__).with_name("fencebot.py")) + ":handle"


@pytest.fixture
async def tg() -> AsyncIterator[Emulator]:
    async with Emulator(tokens=[TOKEN]) as emulator:
        yield emulator


def writes(log: Path) -> list[tuple[str, int, str, int]]:
    """``(text, fence, outcome, pid)`` per line of the bot's log, in order."""
    rows = []
    for line in log.read_text().splitlines() if log.exists() else []:
        _, text, fence, outcome, pid = line.split()
        rows.append((text, int(fence), outcome, int(pid)))
    return rows


async def wait_row(log: Path, row: tuple[str, str, int], timeout: float = 20) -> int:
    """The fence of the first ``(text, outcome, pid)`` line, once it is logged."""
    async with asyncio.timeout(timeout):
        while True:
            for text, fence, outcome, pid in writes(log):
                if (text, outcome, pid) == row:
                    return fence
            await asyncio.sleep(0.02)


async def test_a_stale_pollers_write_is_refused_by_its_fence(
    tg: Emulator, tmp_path: Path, redis_url: str
) -> None:
    import redis

    url, key = f"{redis_url}?lease={LEASE}", f"fenced:{uuid.uuid4().hex}"
    env = {"TGSERVE_TEST_REDIS": redis_url, "TGSERVE_TEST_KEY": key}
    log = tmp_path / "writes.log"
    a = Poller(tg.api_url, log, tmp_path / "a.out", lock=url, lease=LEASE, bot=BOT, env=env)
    b = Poller(tg.api_url, log, tmp_path / "b.out", lock=url, lease=LEASE, bot=BOT, env=env)
    user = tg.user("ann")
    try:
        a.start()
        await wait_text(a.out, HOLDING)
        b.start()
        await wait_text(b.out, "another poller holds the lock")
        await user.send("first")
        fence_a = await wait_row(log, ("first", "stored", a.pid))

        await user.send("slow")
        await wait_row(log, ("slow", "started", a.pid))
        os.kill(a.pid, signal.SIGSTOP)
        await wait_text(b.out, HOLDING, timeout=LEASE * 3)  # A's lease ran out unrenewed
        fence_b = await wait_row(log, ("slow", "stored", b.pid))  # polled again, not confirmed
        assert fence_b > fence_a

        os.kill(a.pid, signal.SIGCONT)
        assert await wait_row(log, ("slow", "refused", a.pid)) == fence_a
        await wait_text(a.out, "lost the polling lock", timeout=LEASE * 2)
        await user.send("last")
        assert await wait_row(log, ("last", "stored", b.pid)) == fence_b
        with redis.Redis.from_url(redis_url) as client:
            assert client.get(key) == b"last" and int(client.get(f"{key}:fence") or 0) == fence_b
        assert await a.signal(signal.SIGTERM) == 0
        assert await b.signal(signal.SIGTERM) == 0
    finally:
        for poller in (a, b):
            if poller.popen is not None and poller.popen.poll() is None:
                poller.popen.send_signal(signal.SIGCONT)
            poller.kill()
    refused = [row for row in writes(log) if row[2] == "refused"]
    assert refused == [("slow", fence_a, "refused", a.pid)]
    for out in (a.out, b.out):
        text = clean(out)
        assert "ERROR" not in text and "another getUpdates poller" not in text

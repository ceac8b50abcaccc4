"""Two real ``tgserve poll`` processes on one token: only the lock holder polls; SIGKILL it
and the other takes over within the lease; with file, Redis and PostgreSQL locks."""

from __future__ import annotations

import asyncio
import re
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import TOKEN
from tests.conftest_servers import postgres_url, redis_url
from tests.hosts.polling.procs import Poller, clean, handled, wait_handled
from tgserve.emulator import Emulator

__all__ = ["postgres_url", "redis_url"]
pytestmark = pytest.mark.timeout(90)
LEASE = 2.0
HOLDING = "holding the polling lock"


@pytest.fixture
async def tg() -> AsyncIterator[Emulator]:
    async with Emulator(tokens=[TOKEN]) as emulator:
        yield emulator


async def wait_text(path: Path, needle: str, timeout: float = 20) -> float:
    """Seconds until ``needle`` shows in the file."""
    began = time.monotonic()
    async with asyncio.timeout(timeout):
        while not (path.exists() and needle in path.read_text()):
            await asyncio.sleep(0.02)
    return time.monotonic() - began


def lock_url(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if kind == "file":
        return f"file://{tmp_path / 'poll.lock'}?lease={LEASE}"
    if kind == "redis":
        return f"{request.getfixturevalue('redis_url')}?lease={LEASE}"
    base = request.getfixturevalue("postgres_url")
    return f"{base}?lease={LEASE}"


def fences(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"holding the polling lock \(fence (\d+)\)", text)]


@pytest.mark.parametrize("kind", ["file", "redis", "postgresql"])
async def test_one_poller_polls_and_the_other_takes_over(
    tg: Emulator, tmp_path: Path, kind: str, request: pytest.FixtureRequest
) -> None:
    url = lock_url(kind, tmp_path, request)
    log = tmp_path / "handled.log"
    a = Poller(tg.api_url, log, tmp_path / "a.out", lock=url, lease=LEASE)
    b = Poller(tg.api_url, log, tmp_path / "b.out", lock=url, lease=LEASE)
    users = [tg.user(f"user{i}") for i in range(5)]
    try:
        a.start()
        await wait_text(a.out, HOLDING)
        b.start()
        await wait_text(b.out, "another poller holds the lock")
        for n in range(10):
            for user in users:
                await user.send(f"before-{n}")
        await wait_handled(log, 50)
        await asyncio.sleep(LEASE)  # B keeps waiting through renewals
        assert {row[3] for row in handled(log)} == {a.pid}
        assert HOLDING not in b.out.read_text()

        assert await a.signal(signal.SIGKILL) == -signal.SIGKILL
        took = await wait_text(b.out, HOLDING, timeout=LEASE * 3)
        assert took <= LEASE + 1.0, f"takeover took {took:.2f}s"
        for n in range(10):
            for user in users:
                await user.send(f"after-{n}")
        await wait_handled(log, 100)
        assert {row[3] for row in handled(log)[50:]} == {b.pid}
        assert await b.signal(signal.SIGTERM) == 0
    finally:
        a.kill()
        b.kill()
    text_a, text_b = clean(a.out), clean(b.out)
    for text in (text_a, text_b):
        assert "terminated by other getUpdates" not in text and "409" not in text
        assert "ERROR" not in text
    if kind != "postgresql":  # file and Redis locks carry a growing fencing token
        assert fences(text_a)[0] < fences(text_b)[0]


async def test_redis_holder_that_loses_its_lease_stops_polling(
    tg: Emulator, tmp_path: Path, redis_url: str
) -> None:
    import redis

    from tgserve._locks.redis import RedisLock

    url = f"{redis_url}?lease={LEASE}"
    log = tmp_path / "handled.log"
    a = Poller(tg.api_url, log, tmp_path / "a.out", lock=url, lease=LEASE)
    key = RedisLock(url, TOKEN.split(":")[0]).key
    try:
        a.start()
        await wait_text(a.out, HOLDING)
        with redis.Redis.from_url(redis_url) as client:
            client.set(key, "someone-else", px=int(LEASE * 3000))
        lost = await wait_text(a.out, "lost the polling lock", timeout=LEASE * 2)
        assert lost <= LEASE
        await tg.user("ann").send("while-lost")
        await asyncio.sleep(LEASE)
        assert handled(log) == []  # not polling without the lock
        await wait_handled(log, 1, timeout=LEASE * 4)  # the foreign lease ends; A polls again
        assert await a.signal(signal.SIGTERM) == 0
    finally:
        a.kill()
    assert "ERROR" not in clean(a.out)

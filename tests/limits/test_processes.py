"""Three worker processes sharing Redis, then PostgreSQL, send 2,000 replies across 200
chats to a recording Bot API on loopback: together they stay within the bot's limit in
every one-second window (within 10%), and no reply is lost. The limits are raised to
200/s (per chat 50/s) to keep the test short; the budgets are the same code at 30/s."""

from __future__ import annotations

import asyncio
import bisect
import random
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.queue.procs import Proc, bot_env, clean_output
from tgserve._queueing import encode, queue_key
from tgserve._stores import QueueStore, open_store
from tgserve.testing import BotAPIStub, serve

pytestmark = pytest.mark.timeout(120)

BOT = str(Path(__file__).with_name("replybot.py")) + ":handle"
CHATS, REPLIES, WORKERS = 200, 10, 3
RATE = 200


@pytest.fixture
async def stub() -> AsyncIterator[tuple[BotAPIStub, str]]:
    api = BotAPIStub()
    async with serve(api) as url:
        yield api, url


def busiest_second(times: list[float]) -> int:
    times = sorted(times)
    return max(bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times))


@pytest.mark.parametrize("backend", ["redis", "postgres"])
async def test_three_workers_keep_the_bot_limit_together(
    backend: str,
    stub: tuple[BotAPIStub, str],
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    api, url = stub
    store_url = str(request.getfixturevalue(f"{backend}_url"))
    bot_id = random.randint(10**8, 10**9)
    env = bot_env(
        store_url,
        tmp_path / "unused.log",
        bot_id,
        TGSERVE_API_URL=url,
        TGSERVE_ACK="queue",
        TGSERVE_LIMITS=f"bot={RATE},chat=50",
        TGSERVE_TEST_REPLIES=str(REPLIES),
        TGSERVE_MAX_IN_FLIGHT="32",  # the budgets, not the connections, set the pace
    )
    store = open_store(store_url, namespace=str(bot_id))
    assert isinstance(store, QueueStore)
    await store.open()
    try:
        for n in range(CHATS):
            update = {"update_id": n + 1, "message": {"chat": {"id": 5000 + n}, "text": "go"}}
            await store.enqueue(n + 1, queue_key(update), encode(update))
    finally:
        await store.close()
    outs = [tmp_path / f"worker{n}.out" for n in range(WORKERS)]
    args = [sys.executable, "-m", "tgserve", "worker", BOT, "--log-level", "warning"]
    workers = [Proc(args, env, out) for out in outs]
    for worker in workers:
        worker.start()
    try:
        await api.wait_for(CHATS * REPLIES, timeout=90)
        await asyncio.sleep(0.3)  # nothing more comes
    finally:
        for worker in workers:
            worker.stop()
    sent = api.sent()
    texts = [str(c.params["text"]) for c in sent]
    assert len(texts) == CHATS * REPLIES == len(set(texts))  # none lost, none twice
    for n in range(CHATS):
        mine = [str(c.params["text"]) for c in api.by_chat[5000 + n]]
        assert mine == [f"{n + 1}/{k}" for k in range(REPLIES)]
    busiest = busiest_second([c.at for c in sent])
    assert busiest <= RATE * 1.1, busiest
    clean_output(outs)  # no traceback, loop error or token in the workers' output

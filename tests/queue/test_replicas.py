"""Two webhook replicas (real uvicorn processes) sharing one store: each update handled once.

Every update is posted to both replicas at once, as when Telegram retries a slow
delivery and a load balancer routes the retry to the other replica.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import httpx
import pytest

from tests.queue import procs

pytestmark = pytest.mark.timeout(120)
UPDATES = 300


@pytest.mark.parametrize("backend", ["redis", "postgresql"])
@pytest.mark.parametrize("ack", ["background", "queue"])
async def test_update_posted_to_both_replicas_is_handled_once(
    backend: str, ack: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    store: str = request.getfixturevalue("redis_url" if backend == "redis" else "postgres_url")
    log = tmp_path / "handled.log"
    env = procs.bot_env(store, log, random.randrange(10**9, 10**10), TGSERVE_ACK=ack)
    replicas = [procs.server(env, tmp_path / f"server{i}.out") for i in range(2)]
    try:
        for replica in replicas:
            replica.start()
        for replica in replicas:
            await asyncio.to_thread(replica.wait_ready)
        async with httpx.AsyncClient(timeout=10) as client:

            async def post_both(update_id: int) -> list[int]:
                body = procs.update(update_id, chat=update_id % 20)
                answers = await asyncio.gather(
                    *(client.post(f"{r.url}/webhook", json=body) for r in replicas)
                )
                return [a.status_code for a in answers]

            statuses = []
            for first in range(1, UPDATES + 1, 50):
                batch = range(first, min(first + 50, UPDATES + 1))
                statuses += await asyncio.gather(*(post_both(u) for u in batch))
            assert {s for pair in statuses for s in pair} == {200}
            async with asyncio.timeout(30):
                while procs.count_lines(log) < UPDATES:
                    await asyncio.sleep(0.05)
            await asyncio.sleep(0.5)  # a second handling, if any, would land by now
    finally:
        for replica in replicas:
            await asyncio.to_thread(replica.stop)
    handled = [line.update_id for line in procs.read_log(log)]
    assert sorted(handled) == list(range(1, UPDATES + 1))
    assert {line.pid for line in procs.read_log(log)} <= {r.popen.pid for r in replicas if r.popen}
    procs.clean_output([r.out for r in replicas])

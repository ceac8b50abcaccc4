"""The queue half of the Store contract, the same for every backend."""

from __future__ import annotations

import asyncio
import random

import pytest

from tests.stores.conftest import BACKENDS, DURABLE, MakeStore
from tgserve._stores import Claim, Job

every_store = pytest.mark.parametrize("store_url", BACKENDS, indirect=True)
durable_stores = pytest.mark.parametrize("store_url", DURABLE, indirect=True)


async def fill(store: object, items: list[tuple[int, str]]) -> None:
    for update_id, chat in items:
        assert await store.enqueue(update_id, chat, b'{"update_id": %d}' % update_id)  # type: ignore[attr-defined]


@every_store
async def test_enqueue_deduplicates_queued_and_finished(make_store: MakeStore) -> None:
    store = await make_store()
    assert await store.enqueue(1, "a", b"one")
    assert not await store.enqueue(1, "a", b"one again")
    [job] = await store.take(10, 30)
    assert (job.update_id, job.chat, job.payload, job.attempt) == (1, "a", b"one", 1)
    assert await store.finish(job)
    assert not await store.enqueue(1, "a", b"one, a late retry")
    assert await store.claim(1, 30) is Claim.DONE
    assert await store.take(10, 30) == []


@every_store
async def test_one_update_per_chat_in_flight_in_update_id_order(make_store: MakeStore) -> None:
    store = await make_store()
    await fill(store, [(3, "a"), (1, "a"), (2, "a"), (10, "b"), (11, "b")])
    jobs = await store.take(10, 30)
    assert sorted((j.chat, j.update_id) for j in jobs) == [("a", 1), ("b", 10)]
    assert await store.take(10, 30) == []
    by_chat = {j.chat: j for j in jobs}
    assert await store.finish(by_chat["a"])
    [next_a] = await store.take(10, 30)
    assert (next_a.chat, next_a.update_id) == ("a", 2)
    assert await store.take(10, 30) == []


@every_store
async def test_take_honours_limit_oldest_chat_first(make_store: MakeStore) -> None:
    store = await make_store()
    for chat in ("c1", "c2", "c3"):
        await fill(store, [(len(chat) * 100 + int(chat[1]), chat)])
        await asyncio.sleep(0.01)
    first = await store.take(2, 30)
    assert [j.chat for j in first] == ["c1", "c2"]
    assert [j.chat for j in await store.take(2, 30)] == ["c3"]


@every_store
async def test_lapsed_lease_redelivers_and_fences_the_old_holder(make_store: MakeStore) -> None:
    store = await make_store()
    await fill(store, [(1, "a"), (2, "a")])
    [old] = await store.take(10, 0.25)
    await asyncio.sleep(0.4)
    [new] = await store.take(10, 30)
    assert (new.update_id, new.attempt) == (1, 2)
    assert new.token != old.token
    assert not await store.finish(old)
    assert await store.extend([old, new], 30) == [old]
    assert await store.finish(new)
    [second] = await store.take(10, 30)
    assert second.update_id == 2


@every_store
async def test_extend_keeps_the_chat_leased(make_store: MakeStore) -> None:
    store = await make_store()
    await fill(store, [(1, "a")])
    [job] = await store.take(10, 0.3)
    for _ in range(3):
        await asyncio.sleep(0.15)
        assert await store.extend([job], 0.3) == []
    assert await store.take(10, 30) == []
    assert await store.finish(job)


@every_store
async def test_retry_waits_out_its_delay_then_redelivers(make_store: MakeStore) -> None:
    store = await make_store()
    await fill(store, [(1, "a"), (2, "a")])
    [job] = await store.take(10, 30)
    assert await store.retry(job, 0.3)
    assert not await store.finish(job)
    assert await store.take(10, 30) == []
    await asyncio.sleep(0.45)
    [again] = await store.take(10, 30)
    assert (again.update_id, again.attempt) == (1, 2)


@every_store
async def test_stats_show_backlog_in_flight_and_age(make_store: MakeStore) -> None:
    store = await make_store()
    empty = await store.stats()
    assert (empty.backlog, empty.in_flight) == (0, 0)
    assert empty.oldest_age == pytest.approx(0.0, abs=0.05)
    await fill(store, [(1, "a"), (2, "a"), (3, "b")])
    await asyncio.sleep(0.2)
    await store.take(1, 30)
    stats = await store.stats()
    assert (stats.backlog, stats.in_flight) == (3, 1)
    assert 0.15 <= stats.oldest_age < 5


@durable_stores
async def test_queue_survives_reopening(make_store: MakeStore, store_url: str) -> None:
    first = await make_store(namespace="durable")
    await fill(first, [(1, "a"), (2, "b")])
    [taken] = await first.take(1, 0.2)
    await first.close()
    second = await make_store(namespace="durable")
    await asyncio.sleep(0.3)  # the closed holder's lease lapses
    jobs = await second.take(10, 30)
    assert sorted(j.update_id for j in jobs) == [1, 2]
    assert {j.update_id: j.attempt for j in jobs}[taken.update_id] == 2


@durable_stores
async def test_competing_consumers_keep_chat_order(make_store: MakeStore, store_url: str) -> None:
    consumers = [await make_store(namespace="shared") for _ in range(3)]
    rng = random.Random(6)
    items = [(i, f"chat{rng.randrange(8)}") for i in range(1, 121)]
    await fill(consumers[0], items)
    handled: list[Job] = []
    running: dict[str, int] = {}

    async def consume(store: object) -> None:
        idle = 0
        while idle < 20:
            jobs: list[Job] = await store.take(4, 30)  # type: ignore[attr-defined]
            if not jobs:
                idle += 1
                await asyncio.sleep(0.01)
                continue
            idle = 0
            for job in jobs:
                assert job.chat not in running, "two updates of one chat in flight"
                running[job.chat] = job.update_id
            await asyncio.sleep(0.001)
            for job in jobs:
                del running[job.chat]
                handled.append(job)
                assert await store.finish(job)  # type: ignore[attr-defined]

    async with asyncio.timeout(60):
        await asyncio.gather(*(consume(c) for c in consumers))
    assert sorted(j.update_id for j in handled) == list(range(1, 121))
    for chat in {c for _, c in items}:
        ids = [j.update_id for j in handled if j.chat == chat]
        assert ids == sorted(ids)
    assert (await consumers[1].stats()).backlog == 0

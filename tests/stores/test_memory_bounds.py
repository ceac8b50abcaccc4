"""The in-memory store's size bound never forgets an update that is still queued."""

from __future__ import annotations

from tgserve._stores.memory import MemoryStore


async def test_max_entries_keeps_queued_updates_deduplicated() -> None:
    store = MemoryStore(max_entries=3)
    for update_id in range(1, 6):
        assert await store.enqueue(update_id, "chat:1", b"{}")
    # 1 is still queued (nothing was finished) though 4 later records passed the bound
    assert await store.enqueue(1, "chat:1", b"{}") is False
    assert (await store.stats()).backlog == 5
    jobs = await store.take(1, 10.0)
    assert [job.update_id for job in jobs] == [1]
    assert await store.finish(jobs[0])
    assert await store.enqueue(1, "chat:1", b"{}") is False  # finished: a duplicate still


async def test_max_entries_still_bounds_finished_records() -> None:
    store = MemoryStore(max_entries=3)
    for update_id in range(1, 11):
        await store.claim(update_id, 10.0)
        await store.done(update_id)
    assert len(store._records) == 3

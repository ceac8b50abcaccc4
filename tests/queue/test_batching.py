"""Group commit: one write per batch, results in order, a failure reaches its whole batch."""

from __future__ import annotations

import asyncio

import pytest

from tgserve._batching import Batcher


async def test_calls_during_a_write_share_the_next_one() -> None:
    batches: list[list[int]] = []

    async def write(items: list[int]) -> list[int]:
        batches.append(items)
        await asyncio.sleep(0.01)
        return [i * 10 for i in items]

    batcher: Batcher[int, int] = Batcher(write)
    results = await asyncio.gather(*(batcher.submit(i) for i in range(1, 8)))
    await batcher.aclose()
    assert results == [10, 20, 30, 40, 50, 60, 70]
    assert batches == [[1, 2, 3, 4, 5, 6, 7]]
    assert await batcher.submit(8) == 80
    assert batches[-1] == [8]


async def test_a_failed_write_fails_its_batch_only() -> None:
    calls = 0

    async def write(items: list[str]) -> list[str]:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0)
        if calls == 1:
            raise ConnectionError("store down")
        return [s.upper() for s in items]

    batcher: Batcher[str, str] = Batcher(write)
    first = [asyncio.ensure_future(batcher.submit(s)) for s in "ab"]
    outcomes = await asyncio.gather(*first, return_exceptions=True)
    assert all(isinstance(o, ConnectionError) for o in outcomes)
    assert await batcher.submit("c") == "C"
    await batcher.aclose()


async def test_a_cancelled_caller_does_not_break_the_batch() -> None:
    release = asyncio.Event()

    async def write(items: list[int]) -> list[int]:
        await release.wait()
        return items

    batcher: Batcher[int, int] = Batcher(write)
    waiting = asyncio.ensure_future(batcher.submit(1))
    other = asyncio.ensure_future(batcher.submit(2))
    await asyncio.sleep(0.01)
    waiting.cancel()
    release.set()
    assert await other == 2
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await batcher.aclose()


async def test_a_cancelled_write_leaves_no_later_caller_waiting() -> None:
    started = asyncio.Event()
    batches: list[list[int]] = []

    async def write(items: list[int]) -> list[int]:
        batches.append(items)
        if len(batches) == 1:
            started.set()
            await asyncio.sleep(60)  # the first write hangs until it is cancelled
        return [i * 10 for i in items]

    batcher: Batcher[int, int] = Batcher(write)
    first = asyncio.ensure_future(batcher.submit(1))
    await started.wait()
    second = asyncio.ensure_future(batcher.submit(2))  # arrives during the first write
    await asyncio.sleep(0)
    assert batcher._writer is not None
    batcher._writer.cancel()
    assert await asyncio.wait_for(second, 2) == 20  # no third submit needed
    with pytest.raises(asyncio.CancelledError):
        await first
    assert batches == [[1], [2]]

"""The state contract, over every store: records of fields, written and dropped one by one."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.state.conftest import OpenStore
from tgserve.state import Change
from tgserve.state._backends import backend_for

ALL = ["memory", "sqlite", "redis", "postgresql"]


@pytest.mark.parametrize("store_url", ALL, indirect=True)
async def test_read_write_drop_delete(open_stores: OpenStore) -> None:
    store = await open_stores()
    state = backend_for(store, None)
    assert await state.read(["a", "b"]) == {}
    await state.write([Change("a", {"x": b"1", "y": b"2"}), Change("b", {"z": b"3"})])
    assert await state.read(["a", "b", "c"]) == {"a": {"x": b"1", "y": b"2"}, "b": {"z": b"3"}}
    await state.write([Change("a", {"x": b"10"}, ["y"])])
    assert await state.read(["a"]) == {"a": {"x": b"10"}}
    await state.write([Change("a", {}, ["x"])])
    assert await state.read(["a"]) == {}  # an empty record is a missing one
    await state.delete(["b"])
    assert await state.read(["b"]) == {}


@pytest.mark.parametrize("store_url", [*ALL, "redis-cluster"], indirect=True)
async def test_one_read_and_one_write_carry_many_records_and_fields(
    open_stores: OpenStore,
) -> None:
    """Many records in one call, a record of 2,500 fields (more than one Lua call's
    arguments), drops and puts of one record together; on a Redis Cluster too."""
    state = backend_for(await open_stores(), 60.0)
    big = {f"f{i}": str(i).encode() for i in range(2500)}
    await state.write(
        [Change(f"r{i}", {"x": bytes([i])}) for i in range(50)] + [Change("big", big)]
    )
    found = await state.read(["big", *(f"r{i}" for i in range(50)), "missing"])
    assert found["big"] == big and len(found) == 51
    assert all(found[f"r{i}"] == {"x": bytes([i])} for i in range(50))
    drop = [f"f{i}" for i in range(0, 2500, 2)]
    await state.write([Change("big", {"new": b"\x00\xff binary"}, drop), Change("r0", {}, ["x"])])
    after = await state.read(["big", "r0"])
    assert "r0" not in after and len(after["big"]) == 1251
    assert after["big"]["new"] == b"\x00\xff binary" and "f0" not in after["big"]


@pytest.mark.parametrize("store_url", ALL[1:], indirect=True)
async def test_two_processes_writing_different_fields_both_keep_theirs(
    open_stores: OpenStore,
) -> None:
    one, two = backend_for(await open_stores(), None), backend_for(await open_stores(), None)
    await asyncio.gather(
        *(one.write([Change("b", {f"one{i}": b"1"})]) for i in range(20)),
        *(two.write([Change("b", {f"two{i}": b"2"})]) for i in range(20)),
    )
    fields = (await one.read(["b"]))["b"]
    assert len(fields) == 40 and fields == (await two.read(["b"]))["b"]


@pytest.mark.parametrize("store_url", ALL, indirect=True)
async def test_idle_records_expire_with_a_ttl(open_stores: OpenStore) -> None:
    state = backend_for(await open_stores(), 0.3)
    await state.write([Change("idle", {"x": b"1"}), Change("busy", {"x": b"1"})])
    await asyncio.sleep(0.2)
    await state.write([Change("busy", {"y": b"2"})])  # a write keeps the whole record alive
    await asyncio.sleep(0.2)
    assert await state.read(["idle", "busy"]) == {"busy": {"x": b"1", "y": b"2"}}


@pytest.mark.parametrize("store_url", ["sqlite", "redis", "postgresql"], indirect=True)
async def test_namespaces_are_apart(open_stores: OpenStore, store_url: str) -> None:
    from tgserve._stores import open_store

    mine = backend_for(await open_stores(), None)
    other_store = open_store(store_url, namespace="someone-else")
    await other_store.open()
    try:
        other = backend_for(other_store, None)
        await mine.write([Change("k", {"x": b"mine"})])
        assert await other.read(["k"]) == {}
    finally:
        await other_store.close()


@pytest.mark.parametrize("store_url", ["redis"], indirect=True)
async def test_redis_updates_together_share_commands_and_fail_alone(open_stores: OpenStore) -> None:
    """Reads (and writes) of updates that arrive together go as one script call; a bad
    record (a key of another type) fails only the update that touches it."""
    store: Any = await open_stores()
    state: Any = backend_for(store, None)
    client = store.client
    await client.set(state.prefix + "bad", "a string, not a hash")

    async def scripts() -> int:
        stats = await client.info("commandstats")
        return int(stats.get("cmdstat_evalsha", {}).get("calls", 0))

    began = await scripts()
    writes = await asyncio.gather(
        *(state.write([Change(f"k{i}", {"x": str(i).encode()})]) for i in range(20)),
        state.write([Change("bad", {"x": b"1"})]),
        return_exceptions=True,
    )
    assert all(w is None for w in writes[:-1]) and isinstance(writes[-1], Exception)
    reads = await asyncio.gather(
        *(state.read([f"k{i}", "missing"]) for i in range(20)),
        state.read(["bad"]),
        return_exceptions=True,
    )
    assert reads[:-1] == [{f"k{i}": {"x": str(i).encode()}} for i in range(20)]
    assert isinstance(reads[-1], Exception)
    # 21 writes and 21 reads: the first of each alone, the rest together, then (as that
    # failed) one by one; without the bad record that would be 4 calls in all
    assert await scripts() - began <= 2 * (1 + 1 + 20)
    began = await scripts()
    await asyncio.gather(*(state.read([f"k{i}"]) for i in range(20)))
    assert await scripts() - began <= 2

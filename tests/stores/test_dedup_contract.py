"""The dedup half of the Store contract, the same for every backend."""

from __future__ import annotations

import asyncio

import pytest

from tests.stores.conftest import BACKENDS, MakeStore
from tgserve._stores import Claim

pytestmark = pytest.mark.parametrize("store_url", BACKENDS, indirect=True)


async def test_claim_then_busy_then_done(make_store: MakeStore) -> None:
    store = await make_store()
    assert await store.claim(1, 30) is Claim.NEW
    assert await store.claim(1, 30) is Claim.BUSY
    await store.done(1)
    assert await store.claim(1, 30) is Claim.DONE
    assert await store.claim(2, 30) is Claim.NEW


async def test_release_makes_it_claimable(make_store: MakeStore) -> None:
    store = await make_store()
    assert await store.claim(7, 30) is Claim.NEW
    await store.release(7)
    assert await store.claim(7, 30) is Claim.NEW


async def test_lapsed_lease_is_claimable_and_renew_extends(make_store: MakeStore) -> None:
    store = await make_store()
    assert await store.claim(1, 0.3) is Claim.NEW
    assert await store.claim(2, 0.3) is Claim.NEW
    await asyncio.sleep(0.15)
    await store.renew([2], 5.0)
    await asyncio.sleep(0.3)
    assert await store.claim(1, 30) is Claim.NEW  # its worker died: the lease lapsed
    assert await store.claim(2, 30) is Claim.BUSY  # renewed: still held


async def test_done_records_expire_after_ttl(make_store: MakeStore) -> None:
    store = await make_store(ttl=0.3)
    assert await store.claim(1, 30) is Claim.NEW
    await store.done(1)
    assert await store.claim(1, 30) is Claim.DONE
    await asyncio.sleep(0.45)
    assert await store.claim(1, 30) is Claim.NEW


async def test_concurrent_claims_have_one_winner(make_store: MakeStore, store_url: str) -> None:
    # separate instances stand for separate processes; memory:// lives in one process only
    count = 1 if store_url.startswith("memory") else 3
    stores = [await make_store(namespace="shared") for _ in range(count)]
    claims = await asyncio.gather(*(stores[i % count].claim(42, 30) for i in range(30)))
    assert claims.count(Claim.NEW) == 1
    assert set(claims) == {Claim.NEW, Claim.BUSY}


async def test_namespaces_are_separate(make_store: MakeStore) -> None:
    one = await make_store(namespace="bot-one")
    two = await make_store(namespace="bot-two")
    assert await one.claim(5, 30) is Claim.NEW
    await one.done(5)
    assert await two.claim(5, 30) is Claim.NEW

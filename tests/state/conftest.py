"""State fixtures: a store URL per backend (real Redis and PostgreSQL), opened stores."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from tests.conftest_servers import postgres_url, redis_cluster_url, redis_url
from tgserve._stores import Store, open_store

__all__ = ["open_stores", "postgres_url", "redis_cluster_url", "redis_url", "store_url"]

SHARED = ["sqlite", "redis", "postgresql"]
OpenStore = Callable[..., Awaitable[Store]]


@pytest.fixture
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    backend: str = request.param
    if backend == "memory":
        return "memory://"
    if backend == "sqlite":
        return f"sqlite:///{tmp_path}/store.db"
    fixture = {"redis": "redis_url", "redis-cluster": "redis_cluster_url"}.get(backend)
    url: str = request.getfixturevalue(fixture or "postgres_url")
    return url


@pytest.fixture
def bot_id() -> int:
    """A bot id (the store namespace) of this test alone."""
    return int(uuid.uuid4().int % 10**9) + 10**9


@pytest.fixture
async def open_stores(store_url: str, bot_id: int) -> AsyncIterator[OpenStore]:
    """Open stores of the test's backend in the test's namespace; closes them all."""
    opened: list[Store] = []

    async def make() -> Store:
        store = open_store(store_url, namespace=str(bot_id))
        await store.open()
        opened.append(store)
        return store

    yield make
    for store in opened:
        await store.close()

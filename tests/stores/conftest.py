"""Store fixtures: every backend by URL, each test in its own namespace."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from tests.conftest_servers import postgres_url, redis_cluster_url, redis_url
from tests.stores.opened import opened_stores
from tgserve._stores import QueueStore, Store

__all__ = ["make_store", "postgres_url", "redis_cluster_url", "redis_url", "store_url"]

# redis-cluster: three masters; each test's namespace hashes to one of them
BACKENDS = ["memory", "sqlite", "redis", "redis-cluster", "postgresql"]
DURABLE = ["sqlite", "redis", "redis-cluster", "postgresql"]
MakeStore = Callable[..., Awaitable[QueueStore]]


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


def queue_store(store: Store) -> QueueStore:
    assert isinstance(store, QueueStore)
    return store


@pytest.fixture
async def make_store(store_url: str) -> AsyncIterator[MakeStore]:
    """Open stores of the test's backend (namespaces are private to the test); closes them all."""
    async with opened_stores(store_url, queue_store) as make:
        yield make

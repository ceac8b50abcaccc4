"""Store fixtures: every backend by URL, each test in its own namespace."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from tests.conftest_servers import postgres_url, redis_cluster_url, redis_url
from tgserve.stores import QueueStore, open_store

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


@pytest.fixture
async def make_store(store_url: str) -> AsyncIterator[MakeStore]:
    """Open stores of the test's backend (namespaces are private to the test); closes them all."""
    opened: list[QueueStore] = []
    default_ns = f"t{uuid.uuid4().hex[:12]}"

    async def make(*, ttl: float = 3600.0, namespace: str | None = None) -> QueueStore:
        name = default_ns if namespace is None else f"{default_ns}-{namespace}"
        store = open_store(store_url, namespace=name, ttl=ttl)
        assert isinstance(store, QueueStore)
        await store.open()
        opened.append(store)
        return store

    yield make
    for store in opened:
        await store.close()

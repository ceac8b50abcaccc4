"""Stores chosen by URL scheme; a backend's module is imported only when its scheme is used."""

from __future__ import annotations

from tgserve._schemes import load
from tgserve._stores.base import Claim, Store
from tgserve._stores.queue_store import Job, Queue, QueueStats, QueueStore

# scheme -> "module:factory"; each factory is called as factory(url, namespace=..., ttl=...)
BACKENDS: dict[str, str] = {
    "memory": "tgserve._stores.memory:from_url",
    "sqlite": "tgserve._stores.sqlite:from_url",
    "redis": "tgserve._stores.redis:from_url",
    "rediss": "tgserve._stores.redis:from_url",
    "postgresql": "tgserve._stores.postgres:from_url",
    "dynamodb": "tgserve._stores.dynamodb:from_url",
}

__all__ = ["BACKENDS", "Claim", "Job", "Queue", "QueueStats", "QueueStore", "Store", "open_store"]


def open_store(url: str, *, namespace: str = "tgserve", ttl: float = 24 * 3600.0) -> Store:
    """Build (not yet open) the store a URL names, e.g. ``memory://`` or ``sqlite:///bot.db``."""
    factory = load(BACKENDS, url, "store")
    store: Store = factory(url, namespace=namespace, ttl=ttl)
    return store

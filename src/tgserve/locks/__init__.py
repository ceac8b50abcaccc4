"""Singleton locks: one poller per bot. Backends are chosen by URL scheme and imported lazily.

``file://[/path]`` (the default; fcntl), ``redis://...`` (a lease renewed by its holder,
released only by it, with a fencing token), ``postgresql://...`` (a session advisory lock
on the lock's own connection).
"""

from __future__ import annotations

import importlib
from typing import Any

from tgserve.locks.base import DEFAULT_LEASE, Lock, lease_of

BACKENDS: dict[str, str] = {
    "file": "tgserve.locks.file:FileLock",
    "redis": "tgserve.locks.redis:RedisLock",
    "rediss": "tgserve.locks.redis:RedisLock",
    "postgresql": "tgserve.locks.postgres:PostgresLock",
    "postgres": "tgserve.locks.postgres:PostgresLock",
}

__all__ = ["BACKENDS", "DEFAULT_LEASE", "Lock", "lease_of", "open_lock"]


def open_lock(url: str, name: str) -> Lock:
    """Build (not yet acquire) the lock a URL names, for the lock called ``name`` (the bot id)."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    target = BACKENDS.get(scheme)
    if target is None:
        known = ", ".join(f"{s}://" for s in sorted(BACKENDS))
        raise ValueError(f"unknown lock scheme {scheme!r}; known: {known}")
    module, _, attr = target.partition(":")
    factory: Any = getattr(importlib.import_module(module), attr)
    lock: Lock = factory(url, name)
    return lock

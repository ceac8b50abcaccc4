"""Singleton locks: one poller per bot. Backends are chosen by URL scheme and imported lazily.

``file://[/path]`` (the default; fcntl), ``redis://...`` (a lease renewed by its holder,
released only by it, with a fencing token), ``postgresql://...`` (a session advisory lock
on the lock's own connection).
"""

from __future__ import annotations

from tgserve._locks.base import DEFAULT_LEASE, Lock, lease_of
from tgserve._schemes import load

BACKENDS: dict[str, str] = {
    "file": "tgserve._locks.file:FileLock",
    "redis": "tgserve._locks.redis:RedisLock",
    "rediss": "tgserve._locks.redis:RedisLock",
    "postgresql": "tgserve._locks.postgres:PostgresLock",  # postgres:// too
}

__all__ = ["BACKENDS", "DEFAULT_LEASE", "Lock", "lease_of", "open_lock"]


def open_lock(url: str, name: str) -> Lock:
    """Build (not yet acquire) the lock a URL names, for the lock called ``name`` (the bot id)."""
    factory = load(BACKENDS, url, "lock")
    lock: Lock = factory(url, name)
    return lock

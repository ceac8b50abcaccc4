"""The in-memory store: dedup within one process, bounded in size and time."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Sequence

from tgserve.stores.base import Claim

_DONE = float("inf")


class MemoryStore:
    """Update ids in a dict, oldest first; ``max_entries`` bounds memory."""

    def __init__(self, *, ttl: float = 24 * 3600.0, max_entries: int = 200_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        # update_id -> (lease expiry or _DONE, time the record was written)
        self._records: OrderedDict[int, tuple[float, float]] = OrderedDict()

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def claim(self, update_id: int, lease: float) -> Claim:
        now = time.monotonic()
        record = self._records.get(update_id)
        if record is not None:
            expiry, written = record
            if expiry == _DONE and now - written < self.ttl:
                return Claim.DONE
            if expiry != _DONE and now < expiry:
                return Claim.BUSY
        self._put(update_id, now + lease, now)
        return Claim.NEW

    async def renew(self, update_ids: Sequence[int], lease: float) -> None:
        now = time.monotonic()
        for update_id in update_ids:
            record = self._records.get(update_id)
            if record is not None and record[0] != _DONE:
                self._records[update_id] = (now + lease, record[1])

    async def done(self, update_id: int) -> None:
        self._put(update_id, _DONE, time.monotonic())

    async def release(self, update_id: int) -> None:
        self._records.pop(update_id, None)

    def _put(self, update_id: int, expiry: float, now: float) -> None:
        self._records.pop(update_id, None)
        self._records[update_id] = (expiry, now)
        while len(self._records) > self.max_entries:
            self._records.popitem(last=False)
        # drop expired records from the old end; they are the oldest written
        while self._records:
            oldest_id, (_, written) = next(iter(self._records.items()))
            if now - written < self.ttl:
                break
            del self._records[oldest_id]


def from_url(url: str, *, namespace: str, ttl: float) -> MemoryStore:
    """``memory://`` (a namespace is not needed: the store lives in one runtime)."""
    del url, namespace
    return MemoryStore(ttl=ttl)

"""State records in the process (``memory://``): what PTB and aiogram keep by themselves."""

from __future__ import annotations

import time
from collections.abc import Sequence

from tgserve.state._base import Change, Fields


class MemoryState:
    """A dict of records; with ``ttl``, a record not written for that long is dropped."""

    def __init__(self, ttl: float | None = None) -> None:
        self.ttl = ttl
        self._records: dict[str, tuple[Fields, float]] = {}

    async def read(self, keys: Sequence[str]) -> dict[str, Fields]:
        now = time.monotonic()
        out: dict[str, Fields] = {}
        for key in keys:
            found = self._records.get(key)
            if found is None:
                continue
            fields, written = found
            if self.ttl is not None and now - written > self.ttl:
                del self._records[key]
                continue
            out[key] = dict(fields)
        return out

    async def write(self, changes: Sequence[Change]) -> None:
        now = time.monotonic()
        for change in changes:
            fields = dict(self._records.get(change.key, ({}, now))[0])
            for name in change.drop:
                fields.pop(name, None)
            fields.update(change.put)
            if fields:
                self._records[change.key] = (fields, now)
            else:
                self._records.pop(change.key, None)

    async def delete(self, keys: Sequence[str]) -> None:
        for key in keys:
            self._records.pop(key, None)

    async def close(self) -> None:
        return None

"""Synced: a live mapping in the process kept in step with its record in the store.

Each record has a snapshot: the encoded fields as last read or written. Reading merges
the store's fields into the live mapping, field by field, except fields changed in the
process since the snapshot (an update in flight here changed them; they win when it
saves). Saving writes the fields whose encoding differs from the snapshot. Two
processes that change different fields of one record therefore both keep their change;
for the same field, the last writer wins.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from tgserve.state._base import Change, Fields
from tgserve.state._records import StateRecords


class Synced:
    """Snapshots and in-flight counts of the records a process holds live."""

    def __init__(self, records: StateRecords) -> None:
        self.records = records
        self._snapshots: dict[str, Fields] = {}
        self._users: dict[str, int] = {}

    def held(self, key: str) -> bool:
        """True while an update in this process holds the record (or it is kept for good)."""
        return key in self._snapshots

    def take(self, key: str, live: MutableMapping[Any, Any], stored: Fields) -> None:
        """Bring ``live`` in step with ``stored`` and count one more update holding it."""
        self._users[key] = self._users.get(key, 0) + 1
        snapshot = self._snapshots.get(key)
        if snapshot is None:
            live.clear()
            live.update(self.records.decode(key, stored))
            self._snapshots[key] = dict(stored)
            return
        if stored == snapshot:
            return  # nobody else changed the record since this process read or wrote it
        records = self.records
        for name in stored.keys() | snapshot.keys():
            theirs, before = stored.get(name), snapshot.get(name)
            if theirs == before:
                continue  # nobody else changed it
            where = records.where(key, name)
            item = records._field_key(name, where)
            ours = records.codec.encode(live[item], where) if item in live else None
            if ours != before:
                continue  # this process changed it too: it wins when it saves
            if theirs is None:
                live.pop(item, None)
                del snapshot[name]
            else:
                live[item] = records.codec.decode(theirs, where)
                snapshot[name] = theirs

    def change(self, key: str, live: MutableMapping[Any, Any]) -> Change | None:
        """What to write for ``key``: the fields changed since its snapshot (now updated)."""
        now = self.records.encode(key, live)
        before = self._snapshots.get(key, {})
        self._snapshots[key] = now
        return self.records.diff(key, now, before)

    def give_back(self, key: str, *, keep: bool = False, failed: bool = False) -> bool:
        """One update is done with ``key``; True when none holds it any more.

        A record nobody holds is forgotten (unless ``keep``), so the next update reads
        it afresh; after a failure it is forgotten even if kept, so that the changes of
        the failed update are read over by the store's record.
        """
        left = self._users.get(key, 1) - 1
        if left > 0:
            self._users[key] = left
            return False
        self._users.pop(key, None)
        if failed or not keep:
            self._snapshots.pop(key, None)
        return True

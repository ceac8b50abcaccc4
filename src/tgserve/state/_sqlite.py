"""State records in SQLite: one row per field in ``tgserve_state``, on the store's thread."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tgserve._stores.sqlite import _write
from tgserve.state._base import Change, Fields

if TYPE_CHECKING:
    from tgserve._stores.sqlite import SQLiteStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS tgserve_state (
    ns TEXT NOT NULL,
    key TEXT NOT NULL,
    field TEXT NOT NULL,
    value BLOB NOT NULL,
    touched_at REAL NOT NULL,
    PRIMARY KEY (ns, key, field)
)
"""
READ = "SELECT key, field, value FROM tgserve_state WHERE ns = ? AND touched_at > ?"
PURGE_EVERY = 60.0


class SQLiteState:
    """Reads and writes through the :class:`~tgserve._stores.sqlite.SQLiteStore`'s thread."""

    def __init__(self, store: SQLiteStore, ttl: float | None = None) -> None:
        self.store = store
        self.ttl = ttl
        self._schema_ready = False
        self._purged = time.monotonic()

    def _schema(self, db: sqlite3.Connection) -> None:
        if not self._schema_ready:
            with _write(db):
                db.execute(SCHEMA)
            self._schema_ready = True

    async def read(self, keys: Sequence[str]) -> dict[str, Fields]:
        if not keys:
            return {}
        ns, ttl = self.store.namespace, self.ttl

        def run(db: sqlite3.Connection) -> dict[str, Fields]:
            self._schema(db)
            marks = ",".join("?" * len(keys))
            since = -1.0 if ttl is None else time.time() - ttl
            query = f"{READ} AND key IN ({marks})"
            rows = db.execute(query, (ns, since, *keys)).fetchall()
            out: dict[str, Fields] = {}
            for key, field, value in rows:
                out.setdefault(key, {})[field] = bytes(value)
            if ttl is not None and time.monotonic() - self._purged > PURGE_EVERY:
                self._purged = time.monotonic()
                with _write(db):
                    db.execute(
                        "DELETE FROM tgserve_state WHERE ns = ? AND touched_at <= ?", (ns, since)
                    )
            return out

        return await self.store._run(run)

    async def write(self, changes: Sequence[Change]) -> None:
        if not changes:
            return
        ns = self.store.namespace

        def run(db: sqlite3.Connection) -> None:
            self._schema(db)
            now = time.time()
            with _write(db):
                for change in changes:
                    db.executemany(
                        "DELETE FROM tgserve_state WHERE ns = ? AND key = ? AND field = ?",
                        [(ns, change.key, name) for name in change.drop],
                    )
                    db.executemany(
                        "INSERT INTO tgserve_state (ns, key, field, value, touched_at)"
                        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (ns, key, field) DO UPDATE"
                        " SET value = excluded.value, touched_at = excluded.touched_at",
                        [(ns, change.key, n, v, now) for n, v in change.put.items()],
                    )
                    if change.put and self.ttl is not None:
                        db.execute(
                            "UPDATE tgserve_state SET touched_at = ? WHERE ns = ? AND key = ?",
                            (now, ns, change.key),
                        )

        await self.store._run(run)

    async def delete(self, keys: Sequence[str]) -> None:
        if not keys:
            return
        ns = self.store.namespace

        def run(db: sqlite3.Connection) -> None:
            self._schema(db)
            with _write(db):
                db.executemany(
                    "DELETE FROM tgserve_state WHERE ns = ? AND key = ?", [(ns, k) for k in keys]
                )

        await self.store._run(run)

    async def close(self) -> None:
        return None

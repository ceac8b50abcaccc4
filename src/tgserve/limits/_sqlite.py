"""Budgets on SQLite: one ``BEGIN IMMEDIATE`` transaction per call, on the store's thread.

SQLite serialises the transactions of every process on the machine; times are the
machine's wall clock, which they share.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tgserve.limits._gcra import plan
from tgserve.limits._rules import Charge

if TYPE_CHECKING:
    from tgserve._stores.sqlite import SQLiteStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS tgserve_limits (
    ns TEXT NOT NULL, key TEXT NOT NULL, tat REAL NOT NULL, PRIMARY KEY (ns, key)
)
"""
COOL = "cool"


class SQLiteLedger:
    shared = True

    def __init__(self, store: SQLiteStore, namespace: str) -> None:
        self.store = store
        self.namespace = namespace
        self._ready = False

    def _transaction(self, db: sqlite3.Connection, keys: list[str]) -> dict[str, float]:
        if not self._ready:
            db.execute(SCHEMA)
            self._ready = True
        db.execute("BEGIN IMMEDIATE")
        marks = ",".join("?" * len(keys))
        rows = db.execute(
            f"SELECT key, tat FROM tgserve_limits WHERE ns = ? AND key IN ({marks})",  # noqa: S608
            (self.namespace, *keys),
        ).fetchall()
        return {str(k): float(t) for k, t in rows}

    async def reserve(self, charges: Sequence[Charge], horizon: float) -> float:
        keys = [COOL, *(c.key for c in charges)]

        def run(db: sqlite3.Connection) -> float:
            found = self._transaction(db, keys)
            try:
                now = time.time()
                tats = [found.get(c.key, 0.0) for c in charges]
                delay, new = plan(now, found.get(COOL, 0.0), tats, charges, horizon)
                if new is not None:
                    db.executemany(
                        "INSERT INTO tgserve_limits (ns, key, tat) VALUES (?, ?, ?) "
                        "ON CONFLICT (ns, key) DO UPDATE SET tat = excluded.tat",
                        [(self.namespace, c.key, t) for c, t in zip(charges, new, strict=True)],
                    )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            return delay

        return await self.store.run(run)

    async def cool(self, seconds: float) -> None:
        def run(db: sqlite3.Connection) -> None:
            found = self._transaction(db, [COOL])
            until = max(found.get(COOL, 0.0), time.time() + seconds)
            db.execute(
                "INSERT INTO tgserve_limits (ns, key, tat) VALUES (?, ?, ?) "
                "ON CONFLICT (ns, key) DO UPDATE SET tat = excluded.tat",
                (self.namespace, COOL, until),
            )
            db.execute("COMMIT")

        await self.store.run(run)

    async def cooldown(self) -> float:
        def run(db: sqlite3.Connection) -> float:
            found = self._transaction(db, [COOL])
            db.execute("COMMIT")
            return max(0.0, found.get(COOL, 0.0) - time.time())

        return await self.store.run(run)

"""Broadcast jobs in SQLite, on the store's thread; each change one transaction."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tgserve.broadcast._jobs import JobStoreBase, Progress, progress_by_job

if TYPE_CHECKING:
    from tgserve._stores.sqlite import SQLiteStore

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS tgserve_broadcasts (
    ns TEXT NOT NULL, job TEXT NOT NULL, spec TEXT NOT NULL, created REAL NOT NULL,
    PRIMARY KEY (ns, job))""",
    """CREATE TABLE IF NOT EXISTS tgserve_recipients (
    ns TEXT NOT NULL, job TEXT NOT NULL, chat INTEGER NOT NULL, seq INTEGER NOT NULL,
    state TEXT NOT NULL, PRIMARY KEY (ns, job, chat))""",
)


class SQLiteJobs(JobStoreBase):
    def __init__(self, store: SQLiteStore, namespace: str) -> None:
        self.store = store
        self.ns = namespace
        self._ready = False

    async def _run(self, sql: str, *args: Any, many: Sequence[Sequence[Any]] = ()) -> list[Any]:
        def run(db: sqlite3.Connection) -> list[Any]:
            if not self._ready:
                for statement in SCHEMA:
                    db.execute(statement)
                self._ready = True
            if many:
                db.execute("BEGIN IMMEDIATE")
                try:
                    db.executemany(sql, many)
                    db.execute("COMMIT")
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                return []
            cursor = db.execute(sql, args)
            rows = cursor.fetchall()
            return [(cursor.rowcount, rows)]

        return await self.store.run(run)

    async def create(self, job: str, spec: dict[str, Any], chats: Sequence[int]) -> None:
        await self._run(
            "INSERT INTO tgserve_broadcasts VALUES (?, ?, ?, ?)",
            self.ns,
            job,
            json.dumps(spec),
            time.time(),
        )
        await self._run(
            "INSERT INTO tgserve_recipients VALUES (?, ?, ?, ?, 'pending')",
            many=[(self.ns, job, chat, seq) for seq, chat in enumerate(chats)],
        )

    async def spec(self, job: str) -> dict[str, Any] | None:
        [(_, rows)] = await self._run(
            "SELECT spec FROM tgserve_broadcasts WHERE ns = ? AND job = ?", self.ns, job
        )
        return json.loads(rows[0][0]) if rows else None

    async def recover(self, job: str) -> int:
        [(count, _)] = await self._run(
            "UPDATE tgserve_recipients SET state = 'unconfirmed' "
            "WHERE ns = ? AND job = ? AND state = 'sending'",
            self.ns,
            job,
        )
        return int(count)

    async def pending(self, job: str) -> list[int]:
        [(_, rows)] = await self._run(
            "SELECT chat FROM tgserve_recipients WHERE ns = ? AND job = ? AND state = 'pending' "
            "ORDER BY seq",
            self.ns,
            job,
        )
        return [int(r[0]) for r in rows]

    async def _move(self, job: str, chat: int, old: str, new: str) -> bool:
        [(count, _)] = await self._run(
            "UPDATE tgserve_recipients SET state = ? "
            "WHERE ns = ? AND job = ? AND chat = ? AND state = ?",
            new,
            self.ns,
            job,
            chat,
            old,
        )
        return bool(count)

    async def recent(self, limit: int) -> list[str]:
        [(_, rows)] = await self._run(
            "SELECT job FROM tgserve_broadcasts WHERE ns = ? ORDER BY created DESC, job LIMIT ?",
            self.ns,
            limit,
        )
        return [str(r[0]) for r in rows]

    async def progress_of(self, jobs: Sequence[str]) -> dict[str, Progress]:
        if not jobs:
            return {}
        [(_, rows)] = await self._run(
            "SELECT job, state, count(*) FROM tgserve_recipients WHERE ns = ? "
            "AND job IN (SELECT value FROM json_each(?)) GROUP BY job, state",
            self.ns,
            json.dumps(list(jobs)),
        )
        return progress_by_job(rows)

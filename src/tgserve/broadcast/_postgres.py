"""Broadcast jobs in PostgreSQL, on the store's pool; each change one statement."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tgserve.broadcast._jobs import JobStoreBase, Progress, progress_by_job

if TYPE_CHECKING:
    from tgserve._stores.postgres import PostgresStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS tgserve_broadcasts (
    ns text NOT NULL, job text NOT NULL, spec text NOT NULL,
    created timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (ns, job));
CREATE TABLE IF NOT EXISTS tgserve_recipients (
    ns text NOT NULL, job text NOT NULL, chat bigint NOT NULL, seq integer NOT NULL,
    state text NOT NULL, PRIMARY KEY (ns, job, chat));
"""
MOVE = (
    "UPDATE tgserve_recipients SET state = $5 "
    "WHERE ns = $1 AND job = $2 AND chat = $3 AND state = $4 RETURNING 1"
)


class PostgresJobs(JobStoreBase):
    def __init__(self, store: PostgresStore, namespace: str) -> None:
        self.store = store
        self.ns = namespace
        self._ready = False

    async def _schema(self) -> None:
        if not self._ready:
            async with self.store.pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock(8675311)")
                await conn.execute(SCHEMA)
            self._ready = True

    async def create(self, job: str, spec: dict[str, Any], chats: Sequence[int]) -> None:
        await self._schema()
        async with self.store.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO tgserve_broadcasts (ns, job, spec) VALUES ($1, $2, $3)",
                self.ns,
                job,
                json.dumps(spec),
            )
            await conn.execute(
                "INSERT INTO tgserve_recipients (ns, job, chat, seq, state) "
                "SELECT $1, $2, c, i, 'pending' FROM unnest($3::bigint[]) WITH ORDINALITY u(c, i)",
                self.ns,
                job,
                list(chats),
            )

    async def spec(self, job: str) -> dict[str, Any] | None:
        await self._schema()
        raw = await self.store.pool.fetchval(
            "SELECT spec FROM tgserve_broadcasts WHERE ns = $1 AND job = $2", self.ns, job
        )
        return None if raw is None else json.loads(raw)

    async def recover(self, job: str) -> int:
        rows = await self.store.pool.fetch(
            "UPDATE tgserve_recipients SET state = 'unconfirmed' "
            "WHERE ns = $1 AND job = $2 AND state = 'sending' RETURNING 1",
            self.ns,
            job,
        )
        return len(rows)

    async def pending(self, job: str) -> list[int]:
        rows = await self.store.pool.fetch(
            "SELECT chat FROM tgserve_recipients WHERE ns = $1 AND job = $2 "
            "AND state = 'pending' ORDER BY seq",
            self.ns,
            job,
        )
        return [int(r[0]) for r in rows]

    async def _move(self, job: str, chat: int, old: str, new: str) -> bool:
        return await self.store.pool.fetchval(MOVE, self.ns, job, chat, old, new) is not None

    async def recent(self, limit: int) -> list[str]:
        await self._schema()
        rows = await self.store.pool.fetch(
            "SELECT job FROM tgserve_broadcasts WHERE ns = $1 ORDER BY created DESC, job LIMIT $2",
            self.ns,
            limit,
        )
        return [str(r[0]) for r in rows]

    async def progress_of(self, jobs: Sequence[str]) -> dict[str, Progress]:
        if not jobs:
            return {}
        await self._schema()
        rows = await self.store.pool.fetch(
            "SELECT job, state, count(*) FROM tgserve_recipients WHERE ns = $1 "
            "AND job = ANY($2::text[]) GROUP BY job, state",
            self.ns,
            list(jobs),
        )
        return progress_by_job(rows)

"""The PostgreSQL store: dedup and queue shared by every process and machine (asyncpg).

The pool is created in :meth:`open`, on the runtime's running loop, and closed in
:meth:`close`. Lease times come from the server's clock. ``take`` locks ready chat
rows with ``FOR UPDATE SKIP LOCKED``, so concurrent workers never wait on each other
and never take two updates of one chat.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tgserve.stores.base import Claim
from tgserve.stores.queue import Job, QueueStats

if TYPE_CHECKING:
    import asyncpg

SCHEMA = """
CREATE TABLE IF NOT EXISTS tgserve_updates (
    ns text NOT NULL,
    update_id bigint NOT NULL,
    state text NOT NULL,            -- 'claimed' | 'queued' | 'done'
    chat text,
    payload bytea,
    lease_until timestamptz,        -- dedup claims only
    attempt integer NOT NULL DEFAULT 0,
    enqueued_at timestamptz,
    done_at timestamptz,
    PRIMARY KEY (ns, update_id)
);
CREATE INDEX IF NOT EXISTS tgserve_updates_queued
    ON tgserve_updates (ns, chat, update_id) WHERE state = 'queued';
CREATE INDEX IF NOT EXISTS tgserve_updates_done
    ON tgserve_updates (ns, done_at) WHERE state = 'done';
CREATE TABLE IF NOT EXISTS tgserve_chats (
    ns text NOT NULL,
    chat text NOT NULL,
    pending integer NOT NULL DEFAULT 0,
    since timestamptz,
    lease_until timestamptz,
    token text,
    PRIMARY KEY (ns, chat)
);
CREATE INDEX IF NOT EXISTS tgserve_chats_ready ON tgserve_chats (ns, since) WHERE pending > 0;
"""

CLAIM = """
INSERT INTO tgserve_updates (ns, update_id, state, lease_until)
VALUES ($1, $2, 'claimed', clock_timestamp() + make_interval(secs => $3))
ON CONFLICT (ns, update_id) DO UPDATE
SET state = 'claimed', lease_until = excluded.lease_until, done_at = NULL, payload = NULL
WHERE (tgserve_updates.state = 'claimed' AND tgserve_updates.lease_until < clock_timestamp())
   OR (tgserve_updates.state = 'done'
       AND tgserve_updates.done_at < clock_timestamp() - make_interval(secs => $4))
RETURNING 'new'
"""

ENQUEUE = """
WITH added AS (
    INSERT INTO tgserve_updates (ns, update_id, state, chat, payload, enqueued_at)
    VALUES ($1, $2, 'queued', $3, $4, clock_timestamp())
    ON CONFLICT (ns, update_id) DO UPDATE
    SET state = 'queued', chat = excluded.chat, payload = excluded.payload,
        enqueued_at = excluded.enqueued_at, attempt = 0, done_at = NULL
    WHERE tgserve_updates.state = 'done'
      AND tgserve_updates.done_at < clock_timestamp() - make_interval(secs => $5)
    RETURNING chat, enqueued_at
)
INSERT INTO tgserve_chats (ns, chat, pending, since)
SELECT $1, chat, 1, enqueued_at FROM added
ON CONFLICT (ns, chat) DO UPDATE
SET pending = tgserve_chats.pending + 1, since = coalesce(tgserve_chats.since, excluded.since)
RETURNING 1
"""

PICK = """
SELECT chat FROM tgserve_chats
WHERE ns = $1 AND pending > 0 AND (lease_until IS NULL OR lease_until < clock_timestamp())
ORDER BY since LIMIT $2 FOR UPDATE SKIP LOCKED
"""

HEADS = """
UPDATE tgserve_updates u SET attempt = u.attempt + 1
FROM (SELECT DISTINCT ON (chat) chat, update_id FROM tgserve_updates
      WHERE ns = $1 AND state = 'queued' AND chat = ANY($2::text[])
      ORDER BY chat, update_id) h
WHERE u.ns = $1 AND u.update_id = h.update_id
RETURNING u.update_id, u.chat, u.payload, u.attempt
"""

LEASE = """
UPDATE tgserve_chats SET lease_until = clock_timestamp() + make_interval(secs => $3), token = $4
WHERE ns = $1 AND chat = ANY($2::text[])
"""

EXTEND = """
UPDATE tgserve_chats c SET lease_until = clock_timestamp() + make_interval(secs => $2)
FROM unnest($3::text[], $4::text[]) AS j(chat, token)
WHERE c.ns = $1 AND c.chat = j.chat AND c.token = j.token
RETURNING c.chat, c.token
"""

FINISH = """
WITH held AS (
    SELECT chat FROM tgserve_chats WHERE ns = $1 AND chat = $2 AND token = $3 FOR UPDATE
), finished AS (
    UPDATE tgserve_updates SET state = 'done', payload = NULL, done_at = clock_timestamp()
    WHERE ns = $1 AND update_id = $4 AND state = 'queued' AND EXISTS (SELECT 1 FROM held)
    RETURNING update_id
)
UPDATE tgserve_chats SET pending = pending - 1, lease_until = NULL, token = NULL,
    since = (SELECT min(enqueued_at) FROM tgserve_updates
             WHERE ns = $1 AND chat = $2 AND state = 'queued' AND update_id <> $4)
WHERE ns = $1 AND chat = $2 AND EXISTS (SELECT 1 FROM finished)
RETURNING 1
"""

RETRY = """
UPDATE tgserve_chats SET lease_until = clock_timestamp() + make_interval(secs => $4), token = NULL
WHERE ns = $1 AND chat = $2 AND token = $3
RETURNING 1
"""

STATS = """
SELECT coalesce(sum(pending), 0)::bigint,
       count(*) FILTER (WHERE token IS NOT NULL AND lease_until >= clock_timestamp()),
       coalesce(extract(epoch FROM clock_timestamp() - min(since)), 0)::float8
FROM tgserve_chats WHERE ns = $1 AND pending > 0
"""

PURGE = """
WITH gone AS (
    DELETE FROM tgserve_updates
    WHERE ns = $1 AND state = 'done' AND done_at < clock_timestamp() - make_interval(secs => $2)
)
DELETE FROM tgserve_chats WHERE ns = $1 AND pending <= 0 AND token IS NULL
"""


class PostgresStore:
    """Rows in ``tgserve_updates`` and ``tgserve_chats``, keyed by the bot's namespace."""

    def __init__(
        self, dsn: str, *, namespace: str, ttl: float, min_size: int = 1, max_size: int = 10
    ) -> None:
        self.dsn = dsn
        self.namespace = namespace
        self.ttl = ttl
        self.min_size = min_size
        self.max_size = max_size
        self._pool: asyncpg.Pool | None = None
        self._finished = 0

    async def open(self) -> None:
        if self._pool is not None:
            return
        import asyncpg

        pool = await asyncpg.create_pool(self.dsn, min_size=self.min_size, max_size=self.max_size)
        try:
            # one schema migration at a time, across processes; none once the schema exists,
            # as CREATE INDEX IF NOT EXISTS locks the table against running workers
            async with pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock(8675309)")
                if not await conn.fetchval("SELECT to_regclass('tgserve_chats_ready') IS NOT NULL"):
                    await conn.execute(SCHEMA)
        except BaseException:
            await pool.close()
            raise
        self._pool = pool

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("the PostgreSQL store is not open")
        return self._pool

    # dedup -----------------------------------------------------------------

    async def claim(self, update_id: int, lease: float) -> Claim:
        ns = self.namespace
        async with self.pool.acquire() as conn:
            if await conn.fetchval(CLAIM, ns, update_id, float(lease), float(self.ttl)):
                return Claim.NEW
            state = await conn.fetchval(
                "SELECT state FROM tgserve_updates WHERE ns = $1 AND update_id = $2", ns, update_id
            )
        return Claim.DONE if state == "done" else Claim.BUSY

    async def renew(self, update_ids: Sequence[int], lease: float) -> None:
        if update_ids:
            await self.pool.execute(
                "UPDATE tgserve_updates"
                " SET lease_until = clock_timestamp() + make_interval(secs => $3)"
                " WHERE ns = $1 AND update_id = ANY($2::bigint[]) AND state = 'claimed'",
                self.namespace,
                list(update_ids),
                float(lease),
            )

    async def done(self, update_id: int) -> None:
        await self.pool.execute(
            "INSERT INTO tgserve_updates (ns, update_id, state, done_at)"
            " VALUES ($1, $2, 'done', clock_timestamp()) ON CONFLICT (ns, update_id) DO UPDATE"
            " SET state = 'done', done_at = excluded.done_at, payload = NULL, lease_until = NULL",
            self.namespace,
            update_id,
        )
        await self._maybe_purge()

    async def release(self, update_id: int) -> None:
        await self.pool.execute(
            "DELETE FROM tgserve_updates WHERE ns = $1 AND update_id = $2 AND state = 'claimed'",
            self.namespace,
            update_id,
        )

    # queue -----------------------------------------------------------------

    async def enqueue(self, update_id: int, chat: str, payload: bytes) -> bool:
        added = await self.pool.fetchval(
            ENQUEUE, self.namespace, update_id, chat, payload, float(self.ttl)
        )
        return bool(added)

    async def take(self, limit: int, lease: float) -> list[Job]:
        token = uuid.uuid4().hex
        async with self.pool.acquire() as conn, conn.transaction():
            chats = [r[0] for r in await conn.fetch(PICK, self.namespace, limit)]
            if not chats:
                return []
            rows = await conn.fetch(HEADS, self.namespace, chats)
            await conn.execute(LEASE, self.namespace, chats, float(lease), token)
        return [Job(r[0], r[1], bytes(r[2]), r[3], token) for r in rows]

    async def extend(self, jobs: Sequence[Job], lease: float) -> list[Job]:
        if not jobs:
            return []
        rows = await self.pool.fetch(
            EXTEND,
            self.namespace,
            float(lease),
            [j.chat for j in jobs],
            [j.token for j in jobs],
        )
        kept = {(r[0], r[1]) for r in rows}
        return [job for job in jobs if (job.chat, job.token) not in kept]

    async def finish(self, job: Job) -> bool:
        ok = await self.pool.fetchval(FINISH, self.namespace, job.chat, job.token, job.update_id)
        await self._maybe_purge()
        return bool(ok)

    async def retry(self, job: Job, delay: float) -> bool:
        ok = await self.pool.fetchval(RETRY, self.namespace, job.chat, job.token, float(delay))
        return bool(ok)

    async def stats(self) -> QueueStats:
        row = await self.pool.fetchrow(STATS, self.namespace)
        assert row is not None
        return QueueStats(int(row[0]), int(row[1]), float(row[2]))

    async def _maybe_purge(self) -> None:
        self._finished += 1
        if self._finished % 1000 == 0:
            await self.pool.execute(PURGE, self.namespace, float(self.ttl))


def from_url(url: str, *, namespace: str, ttl: float) -> PostgresStore:
    """``postgresql://user:password@host:port/db`` (also ``postgres://``), as asyncpg reads it."""
    if url.startswith("postgresql+"):
        url = "postgresql://" + url.split("://", 1)[1]
    return PostgresStore(url, namespace=namespace, ttl=ttl)

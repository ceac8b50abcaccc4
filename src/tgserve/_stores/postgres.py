"""The PostgreSQL store: dedup and queue shared by every process and machine (asyncpg).

The pool is created in :meth:`open`, on the runtime's running loop, and closed in
:meth:`close`. Lease times come from the server's clock. ``take`` locks ready chat
rows with ``FOR UPDATE SKIP LOCKED``, so concurrent workers never wait on each other
and never take two updates of one chat.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tgserve._batching import Batcher
from tgserve._stores.base import Claim
from tgserve._stores.queue_store import Job, QueueStats

if TYPE_CHECKING:
    import asyncpg

log = logging.getLogger("tgserve.stores")

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
CREATE TABLE IF NOT EXISTS tgserve_chats (
    ns text NOT NULL,
    chat text NOT NULL,
    pending integer NOT NULL DEFAULT 0,
    since timestamptz,
    lease_until timestamptz,
    token text,
    PRIMARY KEY (ns, chat)
) WITH (fillfactor = 50);
CREATE INDEX IF NOT EXISTS tgserve_updates_done
    ON tgserve_updates (ns, done_at) WHERE state = 'done';
CREATE INDEX IF NOT EXISTS tgserve_updates_queued
    ON tgserve_updates (ns, chat, update_id) WHERE state = 'queued';
"""
# tgserve_chats has no index but its key: every update of a chat row is a HOT update,
# pruned in place without waiting for autovacuum. Its rows are the chats with queued
# updates (finished chats are purged), few enough to scan.

SCHEMA_DONE = "SELECT to_regclass('tgserve_updates_queued') IS NOT NULL"

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
    SELECT $1, j.update_id, 'queued', j.chat, j.payload, clock_timestamp()
    FROM unnest($2::bigint[], $3::text[], $4::bytea[]) AS j(update_id, chat, payload)
    ORDER BY j.update_id
    ON CONFLICT (ns, update_id) DO UPDATE
    SET state = 'queued', chat = excluded.chat, payload = excluded.payload,
        enqueued_at = excluded.enqueued_at, attempt = 0, done_at = NULL
    WHERE tgserve_updates.state = 'done'
      AND tgserve_updates.done_at < clock_timestamp() - make_interval(secs => $5)
    RETURNING update_id, chat, enqueued_at
), counted AS (
    INSERT INTO tgserve_chats (ns, chat, pending, since)
    SELECT $1, chat, count(*), min(enqueued_at) FROM added GROUP BY chat ORDER BY chat
    ON CONFLICT (ns, chat) DO UPDATE
    SET pending = tgserve_chats.pending + excluded.pending,
        since = coalesce(tgserve_chats.since, excluded.since)
)
SELECT update_id FROM added
"""

TAKE = """
WITH picked AS (
    SELECT chat FROM tgserve_chats
    WHERE ns = $1 AND pending > 0 AND (lease_until IS NULL OR lease_until < clock_timestamp())
    ORDER BY since LIMIT $2
    FOR UPDATE SKIP LOCKED
), leased AS (
    UPDATE tgserve_chats c
    SET lease_until = clock_timestamp() + make_interval(secs => $3), token = $4
    FROM picked WHERE c.ns = $1 AND c.chat = picked.chat
    RETURNING c.chat
), heads AS (
    SELECT head.update_id FROM leased, LATERAL (
        SELECT update_id FROM tgserve_updates
        WHERE ns = $1 AND chat = leased.chat AND state = 'queued'
        ORDER BY update_id LIMIT 1
    ) head
)
UPDATE tgserve_updates u SET attempt = u.attempt + 1
FROM heads WHERE u.ns = $1 AND u.update_id = heads.update_id
RETURNING u.update_id, u.chat, u.payload, u.attempt
"""

EXTEND = """
UPDATE tgserve_chats c SET lease_until = clock_timestamp() + make_interval(secs => $2)
FROM unnest($3::text[], $4::text[]) AS j(chat, token)
WHERE c.ns = $1 AND c.chat = j.chat AND c.token = j.token
RETURNING c.chat, c.token
"""

FINISH = """
WITH held AS (
    SELECT c.chat, j.update_id
    FROM tgserve_chats c
    JOIN unnest($2::text[], $3::text[], $4::bigint[]) AS j(chat, token, update_id)
      ON c.ns = $1 AND c.chat = j.chat AND c.token = j.token
    ORDER BY c.chat
    FOR UPDATE OF c
), finished AS (
    UPDATE tgserve_updates u SET state = 'done', payload = NULL, done_at = clock_timestamp()
    FROM held
    WHERE u.ns = $1 AND u.update_id = held.update_id AND u.state = 'queued'
    RETURNING u.update_id, u.chat
)
UPDATE tgserve_chats c SET pending = c.pending - 1, lease_until = NULL, token = NULL,
    since = (SELECT q.enqueued_at FROM tgserve_updates q
             WHERE q.ns = $1 AND q.chat = c.chat AND q.state = 'queued'
               AND q.update_id <> f.update_id
             ORDER BY q.update_id LIMIT 1)
FROM finished f
WHERE c.ns = $1 AND c.chat = f.chat
RETURNING f.update_id
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
        self._enqueues: Batcher[tuple[int, str, bytes], bool] = Batcher(self._enqueue_batch)

    async def open(self) -> None:
        if self._pool is not None:
            return
        import asyncpg

        # custom plans: a generic plan cached while the tables were empty would scan them
        # whole once they have grown
        pool = await asyncpg.create_pool(
            self.dsn,
            min_size=self.min_size,
            max_size=self.max_size,
            server_settings={"plan_cache_mode": "force_custom_plan"},
        )
        try:
            # one schema migration at a time, across processes; none once the schema exists,
            # as CREATE INDEX IF NOT EXISTS locks the table against running workers
            async with pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock(8675309)")
                if not await conn.fetchval(SCHEMA_DONE):
                    await conn.execute(SCHEMA)
        except BaseException:
            await pool.close()
            raise
        self._pool = pool

    async def close(self) -> None:
        await self._enqueues.aclose()
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("the PostgreSQL store is not open")
        return self._pool

    async def ping(self) -> None:
        """Raise when the server does not answer (``/readyz``)."""
        await self.pool.fetchval("SELECT 1")

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
        # group commit: updates arriving during one statement go in the next one
        return await self._enqueues.submit((update_id, chat, payload))

    async def _enqueue_batch(self, batch: list[tuple[int, str, bytes]]) -> list[bool]:
        first: dict[int, int] = {}  # one row per update_id: a statement may not touch one twice
        for i, (update_id, _, _) in enumerate(batch):
            first.setdefault(update_id, i)
        unique = [batch[i] for i in first.values()]
        rows = await self._fetch(
            ENQUEUE,
            self.namespace,
            [u for u, _, _ in unique],
            [c for _, c, _ in unique],
            [p for _, _, p in unique],
            float(self.ttl),
        )
        added = {r[0] for r in rows}
        return [first[u] == i and u in added for i, (u, _, _) in enumerate(batch)]

    async def take(self, limit: int, lease: float) -> list[Job]:
        token = uuid.uuid4().hex
        rows = await self.pool.fetch(TAKE, self.namespace, limit, float(lease), token)
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
        return (await self.finish_many([job]))[0]

    async def finish_many(self, jobs: Sequence[Job]) -> list[bool]:
        if not jobs:
            return []
        rows = await self._fetch(
            FINISH,
            self.namespace,
            [j.chat for j in jobs],
            [j.token for j in jobs],
            [j.update_id for j in jobs],
        )
        finished = {r[0] for r in rows}
        await self._maybe_purge(len(jobs))
        return [j.update_id in finished for j in jobs]

    async def retry(self, job: Job, delay: float) -> bool:
        ok = await self.pool.fetchval(RETRY, self.namespace, job.chat, job.token, float(delay))
        return bool(ok)

    async def stats(self) -> QueueStats:
        row = await self.pool.fetchrow(STATS, self.namespace)
        assert row is not None
        return QueueStats(int(row[0]), int(row[1]), float(row[2]))

    async def _fetch(self, query: str, *args: Any) -> list[Any]:
        """A statement that locks several rows, run again if it lost a deadlock."""
        import asyncpg

        for attempt in range(1, 4):
            try:
                rows: list[Any] = await self.pool.fetch(query, *args)
                return rows
            except asyncpg.exceptions.DeadlockDetectedError:
                if attempt == 3:
                    raise
                log.warning("deadlock on the queue tables; running the statement again")
        raise AssertionError("unreachable")

    async def _maybe_purge(self, count: int = 1) -> None:
        before, self._finished = self._finished, self._finished + count
        if before // 1000 != self._finished // 1000:
            await self.pool.execute(PURGE, self.namespace, float(self.ttl))


def from_url(url: str, *, namespace: str, ttl: float) -> PostgresStore:
    """``postgresql://user:password@host:port/db`` (also ``postgres://``), as asyncpg reads it."""
    if url.startswith("postgresql+"):
        url = "postgresql://" + url.split("://", 1)[1]
    return PostgresStore(url, namespace=namespace, ttl=ttl)

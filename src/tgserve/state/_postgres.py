"""State records in PostgreSQL: one row per field in ``tgserve_state``, on the store's pool.

A read is one ``SELECT`` over every key the update touches; a write is one statement
(deletes and upserts in data-modifying CTEs), plus one ``UPDATE`` that refreshes the
idle clock of the records written when a TTL is set.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tgserve.state._base import Change, Fields

if TYPE_CHECKING:
    from tgserve._stores.postgres import PostgresStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS tgserve_state (
    ns text NOT NULL,
    key text NOT NULL,
    field text NOT NULL,
    value bytea NOT NULL,
    touched_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (ns, key, field)
)
"""

READ = """
SELECT key, field, value FROM tgserve_state
WHERE ns = $1 AND key = ANY($2::text[])
  AND ($3::float8 IS NULL OR touched_at > clock_timestamp() - make_interval(secs => $3))
"""

WRITE = """
WITH gone AS (
    DELETE FROM tgserve_state s USING unnest($2::text[], $3::text[]) AS d(key, field)
    WHERE s.ns = $1 AND s.key = d.key AND s.field = d.field
)
INSERT INTO tgserve_state (ns, key, field, value, touched_at)
SELECT $1, p.key, p.field, p.value, clock_timestamp()
FROM unnest($4::text[], $5::text[], $6::bytea[]) AS p(key, field, value)
ORDER BY p.key, p.field
ON CONFLICT (ns, key, field) DO UPDATE SET value = excluded.value, touched_at = excluded.touched_at
"""

TOUCH = """
UPDATE tgserve_state SET touched_at = clock_timestamp()
WHERE ns = $1 AND key = ANY($2::text[])
"""

PURGE = """
DELETE FROM tgserve_state
WHERE ns = $1 AND touched_at < clock_timestamp() - make_interval(secs => $2)
"""
PURGE_EVERY = 60.0


class PostgresState:
    """Reads and writes through the :class:`~tgserve._stores.postgres.PostgresStore`'s pool."""

    def __init__(self, store: PostgresStore, ttl: float | None = None) -> None:
        self.store = store
        self.ttl = ttl
        self._schema_ready = False
        self._schema_lock = asyncio.Lock()
        self._purged = time.monotonic()

    async def _ensure_schema(self) -> None:
        if self._schema_ready:
            return
        async with self._schema_lock:
            if self._schema_ready:
                return
            async with self.store.pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock(8675310)")
                if not await conn.fetchval("SELECT to_regclass('tgserve_state') IS NOT NULL"):
                    await conn.execute(SCHEMA)
            self._schema_ready = True

    async def read(self, keys: Sequence[str]) -> dict[str, Fields]:
        if not keys:
            return {}
        await self._ensure_schema()
        rows = await self.store.pool.fetch(READ, self.store.namespace, list(keys), self.ttl)
        out: dict[str, Fields] = {}
        for key, field, value in rows:
            out.setdefault(key, {})[field] = bytes(value)
        if self.ttl is not None and time.monotonic() - self._purged > PURGE_EVERY:
            self._purged = time.monotonic()
            await self.store.pool.execute(PURGE, self.store.namespace, self.ttl)
        return out

    async def write(self, changes: Sequence[Change]) -> None:
        if not changes:
            return
        await self._ensure_schema()
        drop_keys, drop_fields, put_keys, put_fields, values = [], [], [], [], []
        for change in changes:
            for name in change.drop:
                drop_keys.append(change.key)
                drop_fields.append(name)
            for name, value in change.put.items():
                put_keys.append(change.key)
                put_fields.append(name)
                values.append(value)
        ns = self.store.namespace
        args = (ns, drop_keys, drop_fields, put_keys, put_fields, values)
        if self.ttl is None:
            await self.store.pool.execute(WRITE, *args)
            return
        async with self.store.pool.acquire() as conn, conn.transaction():
            await conn.execute(WRITE, *args)
            await conn.execute(TOUCH, ns, sorted({c.key for c in changes if c.put}))

    async def delete(self, keys: Sequence[str]) -> None:
        if keys:
            await self._ensure_schema()
            await self.store.pool.execute(
                "DELETE FROM tgserve_state WHERE ns = $1 AND key = ANY($2::text[])",
                self.store.namespace,
                list(keys),
            )

    async def close(self) -> None:
        return None

"""Budgets on PostgreSQL: one transaction per call, on the store's pool.

A transaction-scoped advisory lock per bot orders the calls of every process; the
budgets are rows of ``tgserve_limits``; times are the server's clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from tgserve.limits._gcra import plan
from tgserve.limits._rules import Charge

if TYPE_CHECKING:
    from tgserve._stores.postgres import PostgresStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS tgserve_limits (
    ns text NOT NULL,
    key text NOT NULL,
    tat double precision NOT NULL,
    PRIMARY KEY (ns, key)
)
"""
LOCK = "SELECT pg_advisory_xact_lock(hashtext('tgserve_limits'), hashtext($1))"
READ = """
SELECT extract(epoch FROM clock_timestamp())::float8,
       array(SELECT coalesce((SELECT tat FROM tgserve_limits WHERE ns = $1 AND key = k), 0)
             FROM unnest($2::text[]) WITH ORDINALITY AS u(k, i) ORDER BY i)
"""
WRITE = """
INSERT INTO tgserve_limits (ns, key, tat)
SELECT $1, k, t FROM unnest($2::text[], $3::float8[]) AS u(k, t)
ON CONFLICT (ns, key) DO UPDATE SET tat = excluded.tat
"""
PURGE = (
    "DELETE FROM tgserve_limits WHERE ns = $1 AND tat < extract(epoch FROM clock_timestamp()) - 60"
)
COOL = "cool"


class PostgresLedger:
    shared = True

    def __init__(self, store: PostgresStore, namespace: str) -> None:
        self.store = store
        self.namespace = namespace
        self._ready = False
        self._calls = 0

    async def _schema(self) -> None:
        if not self._ready:
            async with self.store.pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock(8675310)")
                await conn.execute(SCHEMA)
            self._ready = True

    async def _reserve(self, charges: Sequence[Charge], horizon: float) -> float:
        await self._schema()
        keys = [COOL, *(c.key for c in charges)]
        async with self.store.pool.acquire() as conn, conn.transaction():
            await conn.execute(LOCK, self.namespace)
            row = await conn.fetchrow(READ, self.namespace, keys)
            assert row is not None
            now, values = float(row[0]), [float(v) for v in row[1]]
            delay, new = plan(now, values[0], values[1:], charges, horizon)
            if new is not None:
                await conn.execute(WRITE, self.namespace, keys[1:], new)
        return delay

    async def reserve(self, charges: Sequence[Charge], horizon: float) -> float:
        delay = await self._reserve(charges, horizon)
        self._calls += 1
        if self._calls % 2048 == 0:
            await self.store.pool.execute(PURGE, self.namespace)
        return delay

    async def cool(self, seconds: float) -> None:
        await self._schema()
        async with self.store.pool.acquire() as conn, conn.transaction():
            await conn.execute(LOCK, self.namespace)
            await conn.execute(
                """
                INSERT INTO tgserve_limits (ns, key, tat)
                VALUES ($1, $2, extract(epoch FROM clock_timestamp()) + $3)
                ON CONFLICT (ns, key) DO UPDATE SET tat = greatest(tgserve_limits.tat, excluded.tat)
                """,
                self.namespace,
                COOL,
                seconds,
            )

    async def cooldown(self) -> float:
        await self._schema()
        value = await self.store.pool.fetchval(
            "SELECT greatest(0, coalesce(max(tat), 0) - extract(epoch FROM clock_timestamp()))"
            "::float8 FROM tgserve_limits WHERE ns = $1 AND key = $2",
            self.namespace,
            COOL,
        )
        return float(value or 0.0)

"""``postgresql://...``: a session advisory lock on the lock's own connection."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from typing import Any

from tgserve._locks.base import lease_of, strip_query

log = logging.getLogger("tgserve.locks")
MASK = 0xFFFFFFFF
CHECK = (
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND pid = pg_backend_pid() AND classid = $1::oid AND objid = $2::oid AND objsubid = 1"
)


class PostgresLock:
    """``pg_try_advisory_lock`` on a dedicated connection; held while that connection lives,
    so a dead holder's lock goes with its connection. Renewal checks the lock is still
    granted to this connection. There is no fencing token (``fence`` stays ``None``)."""

    def __init__(self, url: str, name: str) -> None:
        self.url = strip_query(url, "lease")
        self.lease = lease_of(url)
        digest = hashlib.sha256(f"tgserve-poll:{name}".encode()).digest()
        self.key = int.from_bytes(digest[:8], "big", signed=True)
        self.fence: int | None = None
        self._conn: Any = None

    async def acquire(self) -> bool:
        import asyncpg

        if self._conn is None or self._conn.is_closed():
            self._conn = await asyncpg.connect(self.url, timeout=max(self.lease / 2, 1.0))
        got = bool(await self._conn.fetchval("SELECT pg_try_advisory_lock($1)", self.key))
        return got

    async def renew(self) -> bool:
        if self._conn is None or self._conn.is_closed():
            return False
        try:
            held = await asyncio.wait_for(
                self._conn.fetchval(CHECK, (self.key >> 32) & MASK, self.key & MASK),
                max(self.lease / 3, 0.5),
            )
        except Exception:
            return False
        return bool(held)

    async def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            if not conn.is_closed():
                await asyncio.wait_for(conn.execute("SELECT pg_advisory_unlock_all()"), 2)
        except Exception as exc:
            log.info("could not unlock (%s); the lock goes with the connection", type(exc).__name__)
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), 2)
            if not conn.is_closed():
                conn.terminate()

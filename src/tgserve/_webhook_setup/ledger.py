"""Where the registered webhook is remembered, and the lock that elects its registrar.

Telegram never reads the secret back, so the registrar keeps a fingerprint of it (and
when it last called ``setWebhook``) next to the bot's other state: in the configured
store's server for ``redis://`` and ``postgresql://``, in the database file for
``sqlite://``, and in a file in the temporary directory for ``memory://`` (one machine).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import tempfile
from typing import Any, Protocol

from tgserve._locks import Lock, open_lock

Record = dict[str, Any]
CREATE = "CREATE TABLE IF NOT EXISTS tgserve_webhook (bot text PRIMARY KEY, record text NOT NULL)"
SELECT = "SELECT record FROM tgserve_webhook WHERE bot = $1"
UPSERT = (
    "INSERT INTO tgserve_webhook (bot, record) VALUES ($1, $2) "
    "ON CONFLICT (bot) DO UPDATE SET record = EXCLUDED.record"
)


class Ledger(Protocol):
    """One JSON record per bot."""

    async def get(self) -> Record | None: ...

    async def put(self, record: Record) -> None: ...

    async def close(self) -> None: ...


def scheme_of(store_url: str) -> str:
    scheme = store_url.split("://", 1)[0].lower().split("+", 1)[0]
    return {"postgres": "postgresql", "rediss": "redis"}.get(scheme, scheme)


def open_ledger(store_url: str, bot_id: str) -> Ledger:
    scheme = scheme_of(store_url)
    if scheme == "redis":
        return RedisLedger(store_url, bot_id)
    if scheme == "postgresql":
        return PostgresLedger(store_url, bot_id)
    if scheme == "sqlite":
        from tgserve._stores.sqlite import from_url

        path = from_url(store_url, namespace=bot_id, ttl=1.0).path
        if path != ":memory:":
            return FileLedger(f"{path}.webhook-{bot_id}.json")
    return FileLedger(os.path.join(tempfile.gettempdir(), f"tgserve-webhook-{bot_id}.json"))


def open_leader_lock(store_url: str, bot_id: str) -> Lock:
    """The lock whose holder registers and watches the webhook: on the store's server when
    it has one, else a file lock (the processes of one machine)."""
    name = f"webhook-{bot_id}"
    scheme = scheme_of(store_url)
    if scheme in ("redis", "postgresql"):
        rest = store_url.split("://", 1)[1]
        redis_scheme = store_url.split("://", 1)[0].lower()
        return open_lock(f"{redis_scheme if scheme == 'redis' else scheme}://{rest}", name)
    path = os.path.join(tempfile.gettempdir(), f"tgserve-{name}.lock")
    return open_lock(f"file://{path}", name)


class FileLedger:
    def __init__(self, path: str) -> None:
        self.path = path

    async def get(self) -> Record | None:
        return await asyncio.to_thread(self._read)

    async def put(self, record: Record) -> None:
        await asyncio.to_thread(self._write, record)

    def _read(self) -> Record | None:
        try:
            with open(self.path, encoding="utf-8") as f:
                return _decode(f.read())
        except OSError:
            return None

    def _write(self, record: Record) -> None:
        temporary = f"{self.path}.{os.getpid()}.tmp"
        with open(temporary, "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.replace(temporary, self.path)

    async def close(self) -> None:
        return None


class RedisLedger:
    def __init__(self, url: str, bot_id: str) -> None:
        import redis.asyncio

        self.key = f"tgserve:{{{bot_id}}}:webhook"
        self._client: Any = redis.asyncio.from_url(url, socket_timeout=5, socket_connect_timeout=5)

    async def get(self) -> Record | None:
        raw = await self._client.get(self.key)
        return _decode(raw)

    async def put(self, record: Record) -> None:
        await self._client.set(self.key, json.dumps(record))

    async def close(self) -> None:
        await self._client.aclose()


class PostgresLedger:
    def __init__(self, url: str, bot_id: str) -> None:
        self.url = "postgresql://" + url.split("://", 1)[1]
        self.bot_id = bot_id

    async def _run(self, query: str, *args: Any) -> Any:
        import asyncpg

        conn = await asyncpg.connect(self.url, timeout=5)
        try:
            await conn.execute(CREATE)
            return await conn.fetchval(query, *args)
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), 2)

    async def get(self) -> Record | None:
        return _decode(await self._run(SELECT, self.bot_id))

    async def put(self, record: Record) -> None:
        await self._run(UPSERT, self.bot_id, json.dumps(record))

    async def close(self) -> None:
        return None


def _decode(raw: Any) -> Record | None:
    if raw is None:
        return None
    try:
        record = json.loads(raw)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None

"""State records in Redis: one hash per record, on the store's own client and pool.

Keys are ``tgserve:{namespace}:s:<key>`` (the store's hash tag, so a cluster keeps a
bot's keys on one slot). A read is one pipelined round trip of ``HGETALL``; a write is
one ``MULTI`` of ``HSET``/``HDEL`` (and ``PEXPIRE`` with a TTL).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tgserve.state.base import Change, Fields

if TYPE_CHECKING:
    from tgserve.stores.redis import RedisStore


class RedisState:
    """Reads and writes through the :class:`~tgserve.stores.redis.RedisStore`'s client."""

    def __init__(self, store: RedisStore, ttl: float | None = None) -> None:
        self.store = store
        self.ttl = ttl
        self.prefix = f"{store.prefix}s:"

    def _client(self) -> Any:
        client = self.store._redis
        if client is None:
            raise RuntimeError("the Redis store is not open")
        return client

    async def read(self, keys: Sequence[str]) -> dict[str, Fields]:
        if not keys:
            return {}
        async with self._client().pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.hgetall(self.prefix + key)
            found = await pipe.execute()
        return {
            key: {name.decode(): bytes(value) for name, value in fields.items()}
            for key, fields in zip(keys, found, strict=True)
            if fields
        }

    async def write(self, changes: Sequence[Change]) -> None:
        if not changes:
            return
        async with self._client().pipeline(transaction=True) as pipe:
            for change in changes:
                name = self.prefix + change.key
                if change.drop:
                    pipe.hdel(name, *change.drop)
                if change.put:
                    pipe.hset(name, mapping=dict(change.put))
                    if self.ttl is not None:
                        pipe.pexpire(name, max(1, int(self.ttl * 1000)))
            await pipe.execute()

    async def delete(self, keys: Sequence[str]) -> None:
        if keys:
            await self._client().delete(*(self.prefix + key for key in keys))

    async def close(self) -> None:
        return None

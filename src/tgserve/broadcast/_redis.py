"""Broadcast jobs in Redis, on the store's client: a hash of states, a set of pending
chats and a hash of counts per job; each move one atomic script. A sorted set indexes
the bot's jobs by creation time (jobs made before it existed are found once by a scan)."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tgserve.broadcast._jobs import JobStoreBase, Progress

if TYPE_CHECKING:
    from tgserve._stores.redis import RedisStore

# KEYS: states hash, counts hash, pending zset; ARGV: chat, from, to
MOVE = """
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HINCRBY', KEYS[2], ARGV[2], -1)
redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
if ARGV[2] == 'pending' then redis.call('ZREM', KEYS[3], ARGV[1]) end
if ARGV[3] == 'pending' then redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1]) end
return 1
"""
RECOVER = """
local n = 0
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if all[i + 1] == 'sending' then
    redis.call('HSET', KEYS[1], all[i], 'unconfirmed')
    n = n + 1
  end
end
if n > 0 then
  redis.call('HINCRBY', KEYS[2], 'sending', -n)
  redis.call('HINCRBY', KEYS[2], 'unconfirmed', n)
end
return n
"""


class RedisJobs(JobStoreBase):
    def __init__(self, store: RedisStore, namespace: str) -> None:
        self.store = store
        self.prefix = f"tgserve:{{{namespace}}}:broadcast:"
        self.index = f"tgserve:{{{namespace}}}:broadcasts"
        self._indexed = False

    def _keys(self, job: str) -> list[str]:
        p = self.prefix + job
        return [p + ":state", p + ":counts", p + ":pending"]

    async def create(self, job: str, spec: dict[str, Any], chats: Sequence[int]) -> None:
        states, counts, pending = self._keys(job)
        client = self.store.client
        async with client.pipeline(transaction=True) as pipe:
            pipe.set(self.prefix + job, json.dumps(spec))
            for start in range(0, len(chats), 1000):
                part = chats[start : start + 1000]
                pipe.hset(states, mapping={str(c): "pending" for c in part})
                pipe.zadd(pending, {str(c): start + i for i, c in enumerate(part)})
            pipe.hset(counts, "pending", len(chats))
            pipe.zadd(self.index, {job: time.time()})
            await pipe.execute()

    async def spec(self, job: str) -> dict[str, Any] | None:
        raw = await self.store.client.get(self.prefix + job)
        return None if raw is None else json.loads(raw)

    async def recover(self, job: str) -> int:
        script = self.store.client.register_script(RECOVER)
        return int(await script(keys=self._keys(job)[:2]))

    async def pending(self, job: str) -> list[int]:
        members: list[Any] = await self.store.client.zrange(self._keys(job)[2], 0, -1)
        return [int(c) for c in members]

    async def _move(self, job: str, chat: int, old: str, new: str) -> bool:
        script = self.store.client.register_script(MOVE)
        return bool(await script(keys=self._keys(job), args=[chat, old, new, chat]))

    async def recent(self, limit: int) -> list[str]:
        client = self.store.client
        if not self._indexed:  # jobs of a version without the index: added once, as oldest
            if not await client.exists(self.index):
                found = {}
                async for key in client.scan_iter(match=self.prefix + "*:counts", count=1000):
                    name = key.decode() if isinstance(key, bytes) else str(key)
                    found[name[len(self.prefix) : -len(":counts")]] = 0.0
                if found:
                    await client.zadd(self.index, found, nx=True)
            self._indexed = True
        members: list[Any] = await client.zrevrange(self.index, 0, limit - 1)
        return [m.decode() if isinstance(m, bytes) else str(m) for m in members]

    async def progress_of(self, jobs: Sequence[str]) -> dict[str, Progress]:
        if not jobs:
            return {}
        async with self.store.client.pipeline(transaction=False) as pipe:
            for job in jobs:
                pipe.hgetall(self._keys(job)[1])
            found = await pipe.execute()
        out: dict[str, Progress] = {}
        for job, raw in zip(jobs, found, strict=True):
            counts = {
                k.decode() if isinstance(k, bytes) else str(k): int(v) for k, v in raw.items()
            }
            if any(counts.values()):
                out[job] = Progress({k: v for k, v in counts.items() if v})
        return out

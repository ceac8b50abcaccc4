"""The Redis store: dedup and queue shared by every process and machine (redis-py asyncio).

Every operation is one Lua script, so it is atomic on the server and costs one
round trip; lease times come from the server's clock. Keys share the hash tag
``{namespace}``, so a Redis Cluster keeps one bot's keys on one slot: every script is
given a key of that slot (the queue's own keys are named from it), which routes it to the
node that holds them. A URL that reaches a cluster node gets a cluster client.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tgserve._batching import Batcher
from tgserve._stores.base import Claim
from tgserve._stores.queue_store import Job, QueueStats

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.commands.core import AsyncScript

# Keys under the prefix P ("tgserve:{namespace}:"):
#   P u:<id>    "c" claimed (expires with its lease) | "q" queued | "d" done (expires after ttl)
#   P p, P a    hashes update_id -> payload, -> attempts (queued updates only)
#   P t         zset update_id -> enqueue time (ms): the backlog and its oldest age
#   P c:<chat>  zset of the chat's queued update ids (score = update_id)
#   P ready     zset chat -> time its head waits since; chats that may be taken now
#   P lease     zset chat -> lease expiry (ms); chats in flight or waiting out a retry delay
#   P own       hash chat -> token of the lease holder
_NOW = "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000) "

CLAIM = """
local v = redis.call('GET', KEYS[1])
if v == 'd' then return 'done' end
if v then return 'busy' end
redis.call('SET', KEYS[1], 'c', 'PX', ARGV[1])
return 'new'
"""

RENEW = """
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == 'c' then redis.call('PEXPIRE', key, ARGV[1]) end
end
"""

RELEASE = """
if redis.call('GET', KEYS[1]) == 'c' then redis.call('DEL', KEYS[1]) end
"""

ENQUEUE = (
    _NOW
    + """
local p = ARGV[1]
local out = {}
for i = 2, #ARGV, 3 do
  local id, chat = ARGV[i], ARGV[i + 1]
  if redis.call('SET', p .. 'u:' .. id, 'q', 'NX') then
    redis.call('HSET', p .. 'p', id, ARGV[i + 2])
    redis.call('ZADD', p .. 't', now, id)
    redis.call('ZADD', p .. 'c:' .. chat, id, id)
    if not redis.call('ZSCORE', p .. 'lease', chat) then
      redis.call('ZADD', p .. 'ready', 'NX', now, chat)
    end
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
"""
)

TAKE = (
    _NOW
    + """
local p, limit, lease, token = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local function head(chat)
  return redis.call('ZRANGE', p .. 'c:' .. chat, 0, 0)[1]
end
for _, chat in ipairs(redis.call('ZRANGEBYSCORE', p .. 'lease', '-inf', now)) do
  redis.call('ZREM', p .. 'lease', chat)
  local h = head(chat)
  if h then redis.call('ZADD', p .. 'ready', redis.call('ZSCORE', p .. 't', h) or now, chat) end
end
local out = {}
for _, chat in ipairs(redis.call('ZRANGE', p .. 'ready', 0, limit - 1)) do
  redis.call('ZREM', p .. 'ready', chat)
  local h = head(chat)
  if h then
    redis.call('ZADD', p .. 'lease', now + lease, chat)
    redis.call('HSET', p .. 'own', chat, token)
    local attempt = redis.call('HINCRBY', p .. 'a', h, 1)
    out[#out + 1] = {h, chat, redis.call('HGET', p .. 'p', h), attempt}
  end
end
return out
"""
)

EXTEND = (
    _NOW
    + """
local p, lease = ARGV[1], tonumber(ARGV[2])
local lost = {}
for i = 3, #ARGV, 2 do
  local chat, token = ARGV[i], ARGV[i + 1]
  if redis.call('HGET', p .. 'own', chat) == token then
    redis.call('ZREM', p .. 'ready', chat)
    redis.call('ZADD', p .. 'lease', now + lease, chat)
  else
    lost[#lost + 1] = (i - 1) / 2
  end
end
return lost
"""
)

FINISH = """
local p, ttl = ARGV[1], ARGV[2]
local out = {}
for i = 3, #ARGV, 3 do
  out[#out + 1] = finish(p, ARGV[i], ARGV[i + 1], ARGV[i + 2], ttl)
end
return out
"""

_FINISH_ONE = """
local function finish(p, id, chat, token, ttl)
if redis.call('HGET', p .. 'own', chat) ~= token then return 0 end
redis.call('HDEL', p .. 'own', chat)
redis.call('ZREM', p .. 'lease', chat)
redis.call('ZREM', p .. 'c:' .. chat, id)
redis.call('HDEL', p .. 'p', id)
redis.call('HDEL', p .. 'a', id)
redis.call('ZREM', p .. 't', id)
redis.call('SET', p .. 'u:' .. id, 'd', 'PX', ttl)
local h = redis.call('ZRANGE', p .. 'c:' .. chat, 0, 0)[1]
if h then
  redis.call('ZADD', p .. 'ready', redis.call('ZSCORE', p .. 't', h), chat)
else
  redis.call('ZREM', p .. 'ready', chat)
end
return 1
end
"""

RETRY = (
    _NOW
    + """
local p, chat, token = ARGV[1], ARGV[2], ARGV[3]
if redis.call('HGET', p .. 'own', chat) ~= token then return 0 end
redis.call('HDEL', p .. 'own', chat)
redis.call('ZREM', p .. 'ready', chat)
redis.call('ZADD', p .. 'lease', now + tonumber(ARGV[4]), chat)
return 1
"""
)

STATS = (
    _NOW
    + """
local p = ARGV[1]
local oldest = redis.call('ZRANGE', p .. 't', 0, 0, 'WITHSCORES')[2]
local age = 0
if oldest then age = now - tonumber(oldest) end
return {redis.call('ZCARD', p .. 't'), redis.call('HLEN', p .. 'own'), age}
"""
)


class RedisStore:
    """A redis-py asyncio client whose connection pool is created on the runtime's loop."""

    def __init__(self, url: str, *, namespace: str, ttl: float) -> None:
        self.url = url
        self.namespace = namespace
        self.ttl = ttl
        self.prefix = f"tgserve:{{{namespace}}}:"
        self._slot = [f"{self.prefix}t"]  # routes a queue script to its keys' node
        self.max_connections = 32
        self._enqueues: Batcher[tuple[int, str, bytes], bool] = Batcher(self._enqueue_batch)
        self._redis: Redis | None = None
        self._scripts: dict[str, AsyncScript] = {}

    async def open(self) -> None:
        if self._redis is not None:
            return
        from redis.asyncio import BlockingConnectionPool, Redis

        # callers wait for a free connection rather than fail when all are busy
        pool = BlockingConnectionPool.from_url(self.url, max_connections=self.max_connections)
        client: Redis = Redis.from_pool(pool)
        try:
            await client.ping()
            clustered = (await client.info("cluster")).get("cluster_enabled") == 1
        except BaseException:
            await client.aclose()
            raise
        if clustered:
            await client.aclose()
            client = await _cluster_client(self.url, self.max_connections)
        self._redis = client
        for name, source in (
            ("claim", CLAIM),
            ("renew", RENEW),
            ("release", RELEASE),
            ("enqueue", ENQUEUE),
            ("take", TAKE),
            ("extend", EXTEND),
            ("finish", _FINISH_ONE + FINISH),
            ("retry", RETRY),
            ("stats", STATS),
        ):
            self._scripts[name] = client.register_script(source)

    async def close(self) -> None:
        await self._enqueues.aclose()
        client, self._redis = self._redis, None
        if client is not None:
            await client.aclose()

    async def ping(self) -> None:
        """Raise when the server does not answer (``/readyz``)."""
        if self._redis is None:
            raise RuntimeError("the Redis store is not open")
        await self._redis.ping()

    @property
    def client(self) -> Redis:
        """The open client (tgserve.limits runs its scripts on it)."""
        if self._redis is None:
            raise RuntimeError("the Redis store is not open")
        return self._redis

    async def _call(self, name: str, keys: Sequence[str] = (), args: Sequence[Any] = ()) -> Any:
        if self._redis is None:
            raise RuntimeError("the Redis store is not open")
        return await self._scripts[name](keys=list(keys), args=list(args))

    def _key(self, update_id: int) -> str:
        return f"{self.prefix}u:{update_id}"

    # dedup -----------------------------------------------------------------

    async def claim(self, update_id: int, lease: float) -> Claim:
        answer = await self._call("claim", [self._key(update_id)], [_ms(lease)])
        return Claim(answer.decode() if isinstance(answer, bytes) else answer)

    async def renew(self, update_ids: Sequence[int], lease: float) -> None:
        if update_ids:
            await self._call("renew", [self._key(u) for u in update_ids], [_ms(lease)])

    async def done(self, update_id: int) -> None:
        if self._redis is None:
            raise RuntimeError("the Redis store is not open")
        await self._redis.set(self._key(update_id), "d", px=_ms(self.ttl))

    async def release(self, update_id: int) -> None:
        await self._call("release", [self._key(update_id)])

    # queue -----------------------------------------------------------------

    async def enqueue(self, update_id: int, chat: str, payload: bytes) -> bool:
        # group commit: updates arriving during one script call go in the next one
        return await self._enqueues.submit((update_id, chat, payload))

    async def _enqueue_batch(self, batch: list[tuple[int, str, bytes]]) -> list[bool]:
        args: list[Any] = [self.prefix]
        for item in batch:
            args += item
        return [bool(ok) for ok in await self._call("enqueue", self._slot, args)]

    async def take(self, limit: int, lease: float) -> list[Job]:
        token = uuid.uuid4().hex
        rows = await self._call("take", self._slot, [self.prefix, limit, _ms(lease), token])
        return [Job(int(r[0]), r[1].decode(), bytes(r[2]), int(r[3]), token) for r in rows]

    async def extend(self, jobs: Sequence[Job], lease: float) -> list[Job]:
        if not jobs:
            return []
        args: list[Any] = [self.prefix, _ms(lease)]
        for job in jobs:
            args += [job.chat, job.token]
        lost = await self._call("extend", self._slot, args)
        return [jobs[int(i) - 1] for i in lost]

    async def finish(self, job: Job) -> bool:
        return (await self.finish_many([job]))[0]

    async def finish_many(self, jobs: Sequence[Job]) -> list[bool]:
        if not jobs:
            return []
        args: list[Any] = [self.prefix, _ms(self.ttl)]
        for job in jobs:
            args += [job.update_id, job.chat, job.token]
        return [bool(ok) for ok in await self._call("finish", self._slot, args)]

    async def retry(self, job: Job, delay: float) -> bool:
        args = [self.prefix, job.chat, job.token, _ms(delay)]
        return bool(await self._call("retry", self._slot, args))

    async def stats(self) -> QueueStats:
        backlog, in_flight, age = await self._call("stats", self._slot, [self.prefix])
        return QueueStats(int(backlog), int(in_flight), int(age) / 1000)


async def _cluster_client(url: str, max_connections: int) -> Any:
    """A Redis Cluster client from a URL naming any node of the cluster."""
    from redis.asyncio.cluster import RedisCluster

    client = RedisCluster.from_url(url, max_connections=max_connections)
    try:
        await client.initialize()
    except BaseException:
        await client.aclose()
        raise
    return client


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


def from_url(url: str, *, namespace: str, ttl: float) -> RedisStore:
    """``redis://host:port/db`` or ``rediss://...`` (TLS); options as redis-py reads them."""
    return RedisStore(url, namespace=namespace, ttl=ttl)

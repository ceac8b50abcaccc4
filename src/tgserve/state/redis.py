"""State records in Redis: one hash per record, on the store's own client and pool.

Keys are ``tgserve:{namespace}:s:<key>`` (the store's hash tag, so a cluster keeps a
bot's keys on one slot). A read is one script call that returns every record it names
(``HGETALL`` each); a write is one script call that applies every change (``HDEL``,
``HSET`` and ``PEXPIRE`` with a TTL), atomically as any Lua script is. So an update
costs at most two commands, whatever the number of records it touches.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tgserve.state.base import Change, Fields

if TYPE_CHECKING:
    from redis.commands.core import AsyncScript

    from tgserve.stores.redis import RedisStore

# KEYS: the records. Returns one flat [name, value, ...] list per record.
READ = """
local out = {}
for i, key in ipairs(KEYS) do out[i] = redis.call('HGETALL', key) end
return out
"""

# KEYS: the records. ARGV: ttl_ms (0: none), then per record ndrop, nput, the names to
# drop, then the name/value pairs to put. Long lists go in chunks (Lua's stack is small).
WRITE = """
local ttl = tonumber(ARGV[1])
local a = 2
local function each(command, key, first, count)
  local i = first
  while i < first + count do
    local last = math.min(i + 999, first + count - 1)
    redis.call(command, key, unpack(ARGV, i, last))
    i = last + 1
  end
end
for _, key in ipairs(KEYS) do
  local ndrop, nput = tonumber(ARGV[a]), tonumber(ARGV[a + 1])
  a = a + 2
  if ndrop > 0 then each('HDEL', key, a, ndrop) end
  a = a + ndrop
  if nput > 0 then
    each('HSET', key, a, 2 * nput)
    if ttl > 0 then redis.call('PEXPIRE', key, ttl) end
  end
  a = a + 2 * nput
end
return 1
"""


class RedisState:
    """Reads and writes through the :class:`~tgserve.stores.redis.RedisStore`'s client."""

    def __init__(self, store: RedisStore, ttl: float | None = None) -> None:
        self.store = store
        self.ttl = ttl
        self.prefix = f"{store.prefix}s:"
        self._ttl_ms = 0 if ttl is None else max(1, int(ttl * 1000))
        self._scripts: tuple[Any, AsyncScript, AsyncScript] | None = None

    def _client(self) -> Any:
        client = self.store._redis
        if client is None:
            raise RuntimeError("the Redis store is not open")
        return client

    def _script(self, which: int) -> AsyncScript:
        client = self._client()
        scripts = self._scripts
        if scripts is None or scripts[0] is not client:  # registered on the client in use
            scripts = self._scripts = (
                client,
                client.register_script(READ),
                client.register_script(WRITE),
            )
        script: AsyncScript = scripts[which]
        return script

    async def read(self, keys: Sequence[str]) -> dict[str, Fields]:
        if not keys:
            return {}
        prefix = self.prefix
        found = await self._script(1)(keys=[prefix + key for key in keys])
        out: dict[str, Fields] = {}
        for key, flat in zip(keys, found, strict=True):
            if flat:
                out[key] = {
                    bytes(name).decode(): bytes(value)
                    for name, value in zip(flat[::2], flat[1::2], strict=True)
                }
        return out

    async def write(self, changes: Sequence[Change]) -> None:
        if not changes:
            return
        keys: list[str] = []
        args: list[Any] = [self._ttl_ms]
        for change in changes:
            keys.append(self.prefix + change.key)
            args += (len(change.drop), len(change.put), *change.drop)
            for name, value in change.put.items():
                args += (name, value)
        await self._script(2)(keys=keys, args=args)

    async def delete(self, keys: Sequence[str]) -> None:
        if keys:
            await self._client().delete(*(self.prefix + key for key in keys))

    async def close(self) -> None:
        return None

"""State records in Redis: one hash per record, on the store's own client and pool.

Keys are ``tgserve:{namespace}:s:<key>`` (the store's hash tag, so a cluster keeps a
bot's keys on one slot). A read is one script call that returns every record it names
(``HGETALL`` each); a write is one script call that applies every change (``HDEL``,
``HSET`` and ``PEXPIRE`` with a TTL), atomically as any Lua script is. So an update
costs at most two commands, whatever the number of records it touches; and the reads
(and the writes) of updates that arrive together go as one command (group commit,
:class:`~tgserve._batching.Batcher`). When a combined command fails, each update's part
is tried alone, so one bad record fails only its own update.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tgserve._batching import Batcher
from tgserve.state._base import Change, Fields

if TYPE_CHECKING:
    from redis.commands.core import AsyncScript

    from tgserve._stores.redis import RedisStore

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
    """Reads and writes through the :class:`~tgserve._stores.redis.RedisStore`'s client."""

    def __init__(self, store: RedisStore, ttl: float | None = None) -> None:
        self.store = store
        self.ttl = ttl
        self.prefix = f"{store.prefix}s:"
        self._ttl_ms = 0 if ttl is None else max(1, int(ttl * 1000))
        self._scripts: tuple[Any, AsyncScript, AsyncScript] | None = None
        self._reads: Batcher[list[str], dict[str, Fields] | Exception] = Batcher(self._read_batch)
        self._writes: Batcher[list[Change], Exception | None] = Batcher(self._write_batch)

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
        found = await self._reads.submit(list(keys))
        if isinstance(found, Exception):
            raise found
        return found

    async def write(self, changes: Sequence[Change]) -> None:
        if not changes:
            return
        failed = await self._writes.submit(list(changes))
        if failed is not None:
            raise failed

    async def _read_batch(self, batch: list[list[str]]) -> list[dict[str, Fields] | Exception]:
        if len(batch) > 1:
            with contextlib.suppress(Exception):  # else each alone, below
                records = await self._read_now(list(dict.fromkeys(k for ks in batch for k in ks)))
                return [{k: dict(records[k]) for k in keys if k in records} for keys in batch]
        out: list[dict[str, Fields] | Exception] = []
        for keys in batch:
            try:
                out.append(await self._read_now(keys))
            except Exception as exc:
                out.append(exc)
        return out

    async def _write_batch(self, batch: list[list[Change]]) -> list[Exception | None]:
        if len(batch) > 1:
            with contextlib.suppress(Exception):  # else each alone (writes are idempotent)
                await self._write_now([change for changes in batch for change in changes])
                return [None] * len(batch)
        out: list[Exception | None] = []
        for changes in batch:
            try:
                await self._write_now(changes)
                out.append(None)
            except Exception as exc:
                out.append(exc)
        return out

    async def _read_now(self, keys: Sequence[str]) -> dict[str, Fields]:
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

    async def _write_now(self, changes: Sequence[Change]) -> None:
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
        await self._reads.aclose()
        await self._writes.aclose()

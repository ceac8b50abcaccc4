"""Budgets on Redis: one Lua script per call, atomic on the server, on the store's client.

Keys share the store's hash tag ``{namespace}``, so a Redis Cluster keeps them on one
slot; each expires once its budget is full again. Times are the server's clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from tgserve.limits._rules import Charge

if TYPE_CHECKING:
    from redis.commands.core import AsyncScript

    from tgserve._stores.redis import RedisStore

_NOW = "local t = redis.call('TIME') local now = tonumber(t[1]) + tonumber(t[2]) / 1000000 "

# KEYS[1] the cooldown, KEYS[2..] the budgets; ARGV[1] horizon, then cost and tolerance
RESERVE = (
    _NOW
    + """
local start = now
local cool = tonumber(redis.call('GET', KEYS[1]) or '0')
if cool > start then start = cool end
local tats = {}
for i = 2, #KEYS do
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0')
  tats[i] = tat
  local at = tat - tonumber(ARGV[2 * i - 1])
  if at > start then start = at end
end
local delay = start - now
if delay <= tonumber(ARGV[1]) then
  for i = 2, #KEYS do
    local tat = tats[i]
    if start > tat then tat = start end
    tat = tat + tonumber(ARGV[2 * i - 2])
    redis.call('SET', KEYS[i], string.format('%.6f', tat),
               'PX', math.floor((tat - now) * 1000) + 1000)
  end
end
return string.format('%.6f', delay)
"""
)

COOL = (
    _NOW
    + """
local until_ = now + tonumber(ARGV[1])
local cool = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ > cool then
  redis.call('SET', KEYS[1], string.format('%.6f', until_),
             'PX', math.floor(tonumber(ARGV[1]) * 1000) + 1000)
end
"""
)

COOLDOWN = (
    _NOW
    + """
local cool = tonumber(redis.call('GET', KEYS[1]) or '0')
return string.format('%.6f', math.max(0, cool - now))
"""
)


class RedisLedger:
    shared = True

    def __init__(self, store: RedisStore, namespace: str) -> None:
        self.store = store
        self.prefix = f"tgserve:{{{namespace}}}:limit:"
        self._cool_key = self.prefix + "cool"
        self._scripts: dict[str, AsyncScript] = {}

    def _script(self, name: str, source: str) -> AsyncScript:
        script = self._scripts.get(name)
        if script is None:
            script = self._scripts[name] = self.store.client.register_script(source)
        return script

    async def reserve(self, charges: Sequence[Charge], horizon: float) -> float:
        keys = [self._cool_key, *(self.prefix + c.key for c in charges)]
        args: list[float] = [horizon]
        for c in charges:
            args += [c.cost, c.tolerance]
        answer = await self._script("reserve", RESERVE)(keys=keys, args=args)
        return float(answer)

    async def cool(self, seconds: float) -> None:
        await self._script("cool", COOL)(keys=[self._cool_key], args=[seconds])

    async def cooldown(self) -> float:
        return float(await self._script("cooldown", COOLDOWN)(keys=[self._cool_key]))

"""``redis://...``: a lease renewed by its holder, released only by it, with a fencing token."""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
from typing import Any

from tgserve._locks.base import lease_of, strip_query

log = logging.getLogger("tgserve.locks")

# KEYS: lock, fence counter. ARGV: holder, lease ms. Returns the fence, or 0 when taken.
ACQUIRE = """
local holder = redis.call('get', KEYS[1])
if holder == ARGV[1] then
  redis.call('pexpire', KEYS[1], ARGV[2])
  return tonumber(redis.call('get', KEYS[2]) or '0')
end
if holder then return 0 end
redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
return redis.call('incr', KEYS[2])
"""
RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


class RedisLock:
    """``SET key holder PX lease`` through Lua, so that only the holder renews or deletes."""

    def __init__(self, url: str, name: str) -> None:
        self.url = strip_query(url, "lease")
        self.lease = lease_of(url)
        self.key = f"tgserve:lock:{name}"
        self.holder = f"{os.getpid()}-{uuid.uuid4().hex}"
        self.fence: int | None = None
        self._client: Any = None

    def _redis(self) -> Any:
        if self._client is None:
            import redis.asyncio

            timeout = max(self.lease / 3, 0.5)
            self._client = redis.asyncio.from_url(
                self.url, socket_timeout=timeout, socket_connect_timeout=timeout
            )
        return self._client

    async def _eval(self, script: str) -> int:
        keys = (self.key, f"{self.key}:fence")
        result = await self._redis().eval(script, 2, *keys, self.holder, int(self.lease * 1000))
        return int(result)

    async def acquire(self) -> bool:
        fence = await self._eval(ACQUIRE)
        if fence:
            self.fence = fence
        return bool(fence)

    async def renew(self) -> bool:
        return bool(await self._eval(RENEW))

    async def release(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            keys = (self.key, f"{self.key}:fence")
            await client.eval(RELEASE, 2, *keys, self.holder, 0)
        except Exception as exc:
            log.info("could not release the lock (%s); its lease ends it", type(exc).__name__)
        finally:
            with contextlib.suppress(Exception):
                await client.aclose()

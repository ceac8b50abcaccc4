"""The bot of the fencing test: stores each text in Redis by compare-and-set on the polling
lock's fencing token, and logs ``update_id text fence pid stored|refused`` per write.

The text ``slow`` waits a moment before its write, so that the test can freeze the poller
in the middle of it."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import tgserve

# KEYS: value, its fence. ARGV: value, fence. A write with an older fence is refused.
WRITE = """
local seen = tonumber(redis.call('get', KEYS[2]) or '0')
if tonumber(ARGV[2]) < seen then return 0 end
redis.call('set', KEYS[2], ARGV[2])
redis.call('set', KEYS[1], ARGV[1])
return 1
"""
SLOW = 1.0
_client: Any = None


def log(line: str) -> None:
    fd = os.open(os.environ["TGSERVE_TEST_LOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, f"{line} {os.getpid()}\n".encode())
    finally:
        os.close(fd)


async def handle(update: dict[str, Any], bot: tgserve.BotAPI) -> None:
    global _client
    if _client is None:
        import redis.asyncio

        _client = redis.asyncio.from_url(os.environ["TGSERVE_TEST_REDIS"])
    delivery = tgserve.current_delivery()
    assert delivery is not None and delivery.fence is not None
    text, key = update["message"]["text"], os.environ["TGSERVE_TEST_KEY"]
    log(f"{update['update_id']} {text} {delivery.fence} started")
    if text == "slow":
        await asyncio.sleep(SLOW)
    stored = await _client.eval(WRITE, 2, key, f"{key}:fence", text, delivery.fence)
    log(f"{update['update_id']} {text} {delivery.fence} {'stored' if stored else 'refused'}")

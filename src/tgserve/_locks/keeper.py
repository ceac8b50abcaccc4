"""LockKeeper: acquires a singleton lock, renews it, and says when it was lost."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from tgserve._locks.base import Lock

log = logging.getLogger("tgserve.locks")


class LockKeeper:
    """Holds ``lock`` for a poller: ``held`` turns false within one lease of a failed renewal,
    and ``on_lost`` is called then (the poller stops polling)."""

    def __init__(self, lock: Lock, on_lost: Callable[[], None]) -> None:
        self.lock = lock
        self.on_lost = on_lost
        self.period = max(lock.lease / 3, 0.05)
        self._held_until = 0.0
        self._renewer: asyncio.Task[None] | None = None

    @property
    def held(self) -> bool:
        return time.monotonic() < self._held_until

    async def acquire(self, stop: asyncio.Event) -> bool:
        """Try every third of a lease until the lock is ours (True) or ``stop`` is set."""
        waiting = False
        while not stop.is_set():
            began = time.monotonic()
            try:
                got = await self.lock.acquire()
            except Exception as exc:
                log.warning("lock backend unavailable (%s); retrying", type(exc).__name__)
                got = False
            if got:
                self._held_until = began + self.lock.lease
                fence = f" (fence {self.lock.fence})" if self.lock.fence is not None else ""
                log.info("holding the polling lock%s", fence)
                if self._renewer is None or self._renewer.done():
                    self._renewer = asyncio.ensure_future(self._renew())
                return True
            if not waiting:
                log.info("another poller holds the lock for this bot; waiting for it")
                waiting = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.period)
        return False

    async def _renew(self) -> None:
        while self.held:
            await asyncio.sleep(self.period)
            began = time.monotonic()
            kept: bool | None
            try:
                kept = await asyncio.wait_for(self.lock.renew(), self.period)
            except Exception:
                kept = None  # unknown: try again while the lease lasts
            if kept:
                self._held_until = began + self.lock.lease
                continue
            if kept is False or time.monotonic() + self.period >= self._held_until:
                self._held_until = 0.0
                log.warning("lost the polling lock; polling stops")
                self.on_lost()
                return

    async def release(self) -> None:
        """Stop renewing and let go of the lock; never raises."""
        self._held_until = 0.0
        if self._renewer is not None:
            self._renewer.cancel()
            await asyncio.gather(self._renewer, return_exceptions=True)
            self._renewer = None
        try:
            await self.lock.release()
        except Exception as exc:
            log.info("lock release did not complete (%s)", type(exc).__name__)

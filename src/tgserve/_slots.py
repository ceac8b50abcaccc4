"""Slots: a cheaper semaphore for the hot paths (the handlers' bound, BotAPI's calls)."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque

__all__ = ["Slots"]


class Slots:
    """A semaphore: a free slot is taken without an ``await`` (the
    common case; ``asyncio.Semaphore`` costs three coroutine calls per job), waiters get
    theirs in arrival order, a released slot passing straight to the next in line."""

    __slots__ = ("_free", "_waiters")

    def __init__(self, count: int) -> None:
        self._free = count
        self._waiters: deque[asyncio.Future[None]] = deque()

    def take(self) -> bool:
        """Take a slot if one is free and nobody waits (no await)."""
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return True
        return False

    async def wait(self) -> None:
        """Wait in line for a slot (after :meth:`take` said no)."""
        place: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(place)
        try:
            await place
        except asyncio.CancelledError:
            if place.done() and not place.cancelled():
                self.release()  # handed over already: pass it on
            else:
                with contextlib.suppress(ValueError):  # release() may have dropped it
                    self._waiters.remove(place)
            raise

    def release(self) -> None:
        """Give a slot back: to the first waiter, else to the free count."""
        while self._waiters:
            place = self._waiters.popleft()
            if not place.done():
                place.set_result(None)
                return
        self._free += 1

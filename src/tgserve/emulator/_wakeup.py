"""A broadcast wake-up for waiters on changing state."""

from __future__ import annotations

import asyncio
import contextlib


class Wakeup:
    """Each `fire()` wakes every current `wait()`."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float | None) -> None:
        """Return on the next fire, or after `timeout` seconds (no error)."""
        event = self._event
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)

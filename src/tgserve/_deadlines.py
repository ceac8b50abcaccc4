"""Deadlines for many short waits on one timer: the ASGI hosts' body reads.

``async with asyncio.timeout(...)`` makes and cancels a timer for every request, though
nearly every body has arrived by the time it is read. :class:`Deadlines` keeps the
waiting tasks in a dict and one timer for them all, set for the earliest deadline; the
timer cancels the tasks past theirs, and :meth:`Deadlines.expired` tells that
cancellation from any other, as ``asyncio.timeout`` does::

    task = deadlines.watch(seconds)
    try:
        body = await read(...)
    except asyncio.CancelledError:
        if not deadlines.expired(task):
            raise
        body = None  # timed out
    finally:
        deadlines.forget(task)
"""

from __future__ import annotations

import asyncio

__all__ = ["Deadlines"]


class Deadlines:
    """Watched tasks by deadline (``loop.time()``), and the one timer that enforces them."""

    __slots__ = ("_expired", "_loop", "_timer", "_wake_at", "_watched")

    def __init__(self) -> None:
        self._watched: dict[asyncio.Task[object], float] = {}
        self._expired: dict[asyncio.Task[object], int] = {}  # -> cancelling() before ours
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._wake_at = 0.0

    def watch(self, seconds: float) -> asyncio.Task[object]:
        """Cancel the current task if it is still watched ``seconds`` from now; return it."""
        task: asyncio.Task[object] | None = asyncio.current_task()
        if task is None:
            raise RuntimeError("Deadlines.watch() must be called from a task")
        loop = task.get_loop()
        if loop is not self._loop:  # a new loop: the old one's timer is gone with it
            self._loop, self._timer = loop, None
            self._watched.clear()
            self._expired.clear()
        deadline = loop.time() + seconds
        self._watched[task] = deadline
        if self._timer is None or deadline < self._wake_at:
            self._arm(loop, deadline)
        return task

    def forget(self, task: asyncio.Task[object]) -> None:
        """The wait ended (however): stop watching ``task``."""
        self._watched.pop(task, None)

    def expired(self, task: asyncio.Task[object]) -> bool:
        """Called on ``CancelledError``: True when the cancellation was this deadline's
        alone (it is then taken back); False when it is someone else's, to re-raise."""
        before = self._expired.pop(task, None)
        return before is not None and task.uncancel() <= before

    def _arm(self, loop: asyncio.AbstractEventLoop, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._wake_at = when
        self._timer = loop.call_at(when, self._sweep)

    def _sweep(self) -> None:
        self._timer = None
        loop = self._loop
        if loop is None:
            return
        now = loop.time()
        later = None
        for task, deadline in list(self._watched.items()):
            if deadline <= now:
                del self._watched[task]
                if not task.done():
                    self._expired[task] = task.cancelling()
                    task.cancel()
            elif later is None or deadline < later:
                later = deadline
        if later is not None:
            self._arm(loop, later)

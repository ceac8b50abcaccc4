"""Backpressure for ``background`` mode: a bound on updates acked but not yet handled.

An update acked in ``background`` mode lives only in this process's memory until its
handler ends; a crash loses it. :class:`Backlog` keeps at most ``bound`` of them. A
request that finds the backlog full is *held* (its answer waits) until an update ends,
so that Telegram's own ``max_connections`` paces delivery and the rest of the flood
waits at Telegram, which keeps updates for 24 hours. Held requests are let in strictly
in arrival order; one held longer than ``wait`` seconds is refused (503, delivered
again later).
"""

from __future__ import annotations

import asyncio
from collections import deque


class Backlog:
    """At most ``bound`` admitted updates at once; the rest wait in order, up to ``wait`` s."""

    def __init__(self, bound: int, wait: float) -> None:
        self.bound = bound
        self.wait = wait
        self.unhandled = 0  # admitted and not released: acked (or about to be) and unfinished
        self.peak_unhandled = 0  # the most at any moment: what a crash could have lost
        self.held_total = 0  # requests that had to wait for room
        self.refused = 0  # requests that waited ``wait`` seconds and got no room
        self._waiters: deque[tuple[asyncio.Future[bool], float]] = deque()  # (place, deadline)
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._wake_at = 0.0

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called (the runtime is stopping)."""
        return self._closed

    @property
    def held(self) -> int:
        """Requests waiting for room now."""
        return len(self._waiters)

    def take(self) -> bool:
        """Take a place if one is free and nobody waits for one (no await: the common case)."""
        if self.unhandled < self.bound and not self._waiters and not self._closed:
            self._take()
            return True
        return False

    async def admit(self) -> bool:
        """Take a place, waiting in line for one if needed; False once ``wait`` runs out
        (or the backlog is closed). Every True must be matched by one :meth:`release`."""
        if self.take():
            return True
        if self._closed or self.wait <= 0:
            self.refused += 1
            return False
        loop = asyncio.get_running_loop()
        place: asyncio.Future[bool] = loop.create_future()
        deadline = loop.time() + self.wait
        self._waiters.append((place, deadline))
        self.held_total += 1
        self._arm(loop, deadline)
        try:
            admitted = await place
        except asyncio.CancelledError:  # the client went away while held
            if place.done() and not place.cancelled() and place.result():
                self.release()  # the place was handed over already: pass it on
            else:
                self._forget(place)
            raise
        if not admitted:
            self.refused += 1
        return admitted

    def release(self) -> None:
        """An admitted update ended (or was never needed): hand its place to the next in line."""
        while self._waiters:
            place, _ = self._waiters.popleft()
            if not place.done():
                place.set_result(True)  # the place moves over; ``unhandled`` stays the same
                return
        self.unhandled -= 1

    def close(self) -> None:
        """Refuse every held request and every later one (the runtime is stopping)."""
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        while self._waiters:
            place, _ = self._waiters.popleft()
            if not place.done():
                place.set_result(False)

    def info(self) -> dict[str, int | float]:
        """The figures ``GET {path}`` shows."""
        return {
            "max_backlog": self.bound,
            "unhandled": self.unhandled,
            "peak_unhandled": self.peak_unhandled,
            "held": self.held,
            "held_total": self.held_total,
            "refused_busy": self.refused,
        }

    def _take(self) -> None:
        self.unhandled += 1
        if self.unhandled > self.peak_unhandled:
            self.peak_unhandled = self.unhandled

    def _arm(self, loop: asyncio.AbstractEventLoop, when: float) -> None:
        """One timer for every held request, set for the earliest deadline (a timer per
        request cost more than the rest of the wait's bookkeeping)."""
        if loop is not self._loop:  # a new loop: the old one's timer went with it
            self._loop, self._timer = loop, None
        if self._timer is not None and self._wake_at <= when:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._wake_at = when
        self._timer = loop.call_at(when, self._expire)

    def _expire(self) -> None:
        """Refuse the held requests past their deadline; re-arm for the next one."""
        self._timer = None
        loop = self._loop
        if loop is None:
            return
        now = loop.time()
        kept: deque[tuple[asyncio.Future[bool], float]] = deque()
        for place, deadline in self._waiters:
            if place.done():
                continue
            if deadline <= now:
                place.set_result(False)
            else:
                kept.append((place, deadline))
        self._waiters = kept
        if kept:
            self._arm(loop, min(deadline for _, deadline in kept))

    def _forget(self, place: asyncio.Future[bool]) -> None:
        for item in self._waiters:
            if item[0] is place:
                self._waiters.remove(item)
                return

"""Whether the store answers: one log line when it stops, one when it is back.

While the store cannot be reached an update is answered 503 with ``Retry-After`` (Telegram
delivers it again later, so nothing is lost) and ``/readyz`` answers 503, in every ack
mode. The log gets one line when the store goes away, one line a minute while it stays
away (with the count of refused updates), and one line when it answers again; never a
traceback per request.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

log = logging.getLogger("tgserve.store")

REMIND_EVERY = 60.0  # seconds between "still unreachable" lines
SETTLE = 10.0  # seconds after a recovery in which a failure (a stale pooled connection) is quiet
PING_TIMEOUT = 1.0


def brief(exc: BaseException) -> str:
    """``ConnectionError: Error 111 connecting to ...``, cut to one short line."""
    text = " ".join(str(exc).split())
    line = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return line[:200]


class StoreHealth:
    """Tracks the store's reachability from the outcomes of real calls and from pings."""

    def __init__(self, store: Any, url_scheme: str) -> None:
        self.store = store
        self.scheme = url_scheme
        self.reachable = True
        self.since = 0.0  # when it went away
        self.refused = 0  # updates answered 503 since then
        self._reminded = 0.0
        self._back_at = -SETTLE
        self._quiet = False  # this outage is the tail of the last one: not logged

    def failed(self, exc: BaseException, what: str = "store call") -> None:
        """A call to the store failed: one line on the first failure, then once a minute."""
        now = time.monotonic()
        self.refused += 1
        if self.reachable:
            self.reachable = False
            self.since = self._reminded = now
            self._quiet = now - self._back_at < SETTLE
            if self._quiet:
                return
            log.warning(
                "store %s unreachable (%s failed: %s); answering 503 until it is back",
                self.scheme,
                what,
                brief(exc),
            )
        elif now - self._reminded >= (SETTLE if self._quiet else REMIND_EVERY):
            self._reminded, self._quiet = now, False
            log.warning(
                "store %s still unreachable after %.0f s (%d update(s) answered 503)",
                self.scheme,
                now - self.since,
                self.refused,
            )

    def succeeded(self) -> None:
        if not self.reachable:
            self.reachable = True
            self._back_at = time.monotonic()
            if self._quiet:
                return
            log.warning(
                "store %s reachable again after %.1f s (%d update(s) were answered 503)",
                self.scheme,
                time.monotonic() - self.since,
                self.refused,
            )
            self.refused = 0

    async def probe(self) -> bool:
        """Ping the store (when it can be pinged) for ``/readyz``; True when it answers."""
        ping = getattr(self.store, "ping", None)
        if ping is None:
            return self.reachable
        try:
            await asyncio.wait_for(ping(), PING_TIMEOUT)
        except Exception as exc:
            if self.reachable:
                self.refused -= 1  # a ping is not an update
                self.failed(exc, "ping")
            return False
        self.succeeded()
        return True

"""The Lock protocol shared by the singleton-lock backends."""

from __future__ import annotations

import urllib.parse
from typing import Protocol

DEFAULT_LEASE = 10.0


class Lock(Protocol):
    """A lock held by one process at a time.

    ``acquire`` tries once and never waits; ``renew`` keeps a held lock and answers
    ``False`` once it is lost; ``release`` lets go (only if held) and never raises.
    ``fence`` is a number that grows with every acquisition (``None`` when the backend
    has none). The poller hands it to the bot with each update it fetched
    (``tgserve.current_delivery().fence``), so that the bot's own store can refuse a write
    from a holder that lost the lock while its handler ran; the logs show it too
    ("holding the polling lock (fence N)").
    """

    lease: float
    fence: int | None

    async def acquire(self) -> bool: ...

    async def renew(self) -> bool: ...

    async def release(self) -> None: ...


def lease_of(url: str, default: float = DEFAULT_LEASE) -> float:
    """The ``?lease=SECONDS`` of a lock URL, else ``default``."""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    values = query.get("lease")
    if not values:
        return default
    lease = float(values[-1])
    if lease <= 0:
        raise ValueError("a lock's lease must be positive")
    return lease


def strip_query(url: str, *names: str) -> str:
    """``url`` without the query parameters ``names`` (tgserve's own, unknown to servers)."""
    parts = urllib.parse.urlsplit(url)
    query = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query) if k not in names]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))

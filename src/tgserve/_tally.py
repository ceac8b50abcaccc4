"""What a runtime counts, kept in one place, and the :class:`Snapshot` value read from it.

The hot path adds plain Python numbers to a :class:`Tally`; ``GET {path}``
(:mod:`tgserve._queries`) and ``GET /metrics`` (:mod:`tgserve._metrics`) both read the same
:class:`Snapshot`, so what they show cannot disagree.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections import Counter
from collections.abc import Mapping
from typing import Any

from tgserve._stores import QueueStats
from tgserve.limits._governor import LimitStats

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Latency:
    """A fixed-bucket histogram of seconds, cheap to observe from the handler path."""

    __slots__ = ("buckets", "count", "sum")

    def __init__(self) -> None:
        self.buckets = [0] * (len(BUCKETS) + 1)  # the last is +Inf
        self.count = 0
        self.sum = 0.0

    def observe(self, seconds: float) -> None:
        self.buckets[bisect.bisect_left(BUCKETS, seconds)] += 1
        self.count += 1
        self.sum += seconds

    def cumulative(self) -> list[tuple[str, int]]:
        """``(le, count)`` pairs, cumulative, ``+Inf`` last."""
        out: list[tuple[str, int]] = []
        total = 0
        for bound, n in zip((*map(str, BUCKETS), "+Inf"), self.buckets, strict=True):
            total += n
            out.append((bound, total))
        return out


class Tally:
    """The runtime's counters: outcomes by name, and handler time when metrics are on."""

    __slots__ = ("counts", "latency")

    def __init__(self, *, timed: bool) -> None:
        self.counts: Counter[str] = Counter()
        self.latency: Latency | None = Latency() if timed else None

    def observe(self, seconds: float) -> None:
        """One handler call ended (handled or failed) after ``seconds``."""
        if self.latency is not None:
            self.latency.observe(seconds)


@dataclasses.dataclass(frozen=True, slots=True)
class BotAPICounts:
    """Requests a :class:`~tgserve._botapi.BotAPI` sent, and those that failed."""

    calls: Mapping[str, int]  # by method
    errors: Mapping[tuple[str, str], int]  # by (method, code or "network")

    @property
    def flood(self) -> int:
        """Answers 429 (flood control)."""
        return sum(n for (_, code), n in self.errors.items() if code == "429")

    def summary(self) -> dict[str, int]:
        return {
            "calls": sum(self.calls.values()),
            "errors": sum(self.errors.values()),
            "429": self.flood,
        }


@dataclasses.dataclass(frozen=True, slots=True)
class Snapshot:
    """One runtime's numbers at one instant."""

    bot: str
    host: str
    state: str
    counts: Mapping[str, int]
    pending: int  # accepted in this process and not finished
    running: int  # in a handler now (the per-chat scheduler)
    in_flight: int  # in a handler now, the queue worker's included
    latency: Latency | None
    queue: QueueStats | None  # queue mode: the last stats read
    consuming: bool | None  # queue mode: whether this process takes from the queue
    botapi: BotAPICounts | None  # plain bots: tgserve's own client
    webhook: Mapping[str, Any] | None = None  # with webhook_url: tgserve._webhook_setup
    backlog: Mapping[str, int | float] | None = None  # background mode: tgserve._backlog
    limits: LimitStats | None = None  # with the send governor on: tgserve.limits

    def info(self, public: Mapping[str, Any]) -> dict[str, Any]:
        """What ``GET {path}`` shows, with ``public`` (the options, no secret) merged in."""
        out: dict[str, Any] = {
            "ok": True,
            "bot": self.bot,
            "host": self.host,
            "state": self.state,
            **public,
            "pending": self.pending,
            "running": self.running,
            "counts": dict(self.counts),
            **(self.backlog or {}),
        }
        if self.consuming is not None:
            queue: dict[str, Any] = {"consuming": self.consuming}
            if self.queue is not None:
                queue |= {
                    "backlog": self.queue.backlog,
                    "in_flight": self.queue.in_flight,
                    "oldest_age": round(self.queue.oldest_age, 3),
                }
            out["queue"] = queue
        if self.botapi is not None:
            out["botapi"] = self.botapi.summary()
        if self.webhook is not None:
            out["webhook"] = dict(self.webhook)
        if self.limits is not None:
            out["limits"] = self.limits.public()
        return out

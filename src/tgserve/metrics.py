"""Prometheus metrics for one runtime, rendered at ``GET /metrics``.

The hot path keeps plain Python numbers (the runtime's ``counts``, the dispatcher's
gauges, :class:`Latency` buckets, the :class:`~tgserve.botapi.BotAPI` call counters);
``prometheus_client`` is imported only when a scrape asks for them, and each runtime
renders through its own ``CollectorRegistry``. Per runtime rather than process-wide:
two bots served by one process (two mounted apps, or tests) never collide on metric
names, and what a route exposes is exactly the runtime that answers it.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from tgserve.gate import Response

if TYPE_CHECKING:
    from tgserve.runtime import Runtime

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# runtime count -> outcome label
OUTCOMES = {
    "received": "received",
    "handled": "handled",
    "failed": "failed",
    "duplicates": "duplicate",
}


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


class RuntimeMetrics:
    """What one runtime measures; :meth:`render` is the ``/metrics`` answer."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.handler_seconds = Latency()

    def observe(self, seconds: float) -> None:
        """One handler call ended (handled or failed) after ``seconds``."""
        self.handler_seconds.observe(seconds)

    def render(self) -> Response | None:
        """The text exposition, or ``None`` when prometheus-client is not installed."""
        try:
            from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
        except ImportError:
            return None
        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Collector(self))
        return Response(200, generate_latest(registry), (("content-type", CONTENT_TYPE_LATEST),))


class _Collector:
    """Reads the runtime's numbers at scrape time."""

    def __init__(self, metrics: RuntimeMetrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import (
            CounterMetricFamily,
            GaugeMetricFamily,
            HistogramMetricFamily,
        )

        runtime = self.metrics.runtime
        counts = runtime.counts
        updates = CounterMetricFamily("tgserve_updates", "Updates by outcome.", labels=["outcome"])
        for key, outcome in OUTCOMES.items():
            updates.add_metric([outcome], counts.get(key, 0))
        yield updates

        rejected = CounterMetricFamily(
            "tgserve_requests_rejected",
            "Requests refused by the gate, by status.",
            labels=["status"],
        )
        for key, n in sorted(counts.items()):
            if key.startswith("rejected_"):
                rejected.add_metric([key.removeprefix("rejected_")], n)
        yield rejected

        latency = self.metrics.handler_seconds
        yield HistogramMetricFamily(
            "tgserve_handler_seconds",
            "Time spent in the bot's handler per update.",
            buckets=latency.cumulative(),
            sum_value=latency.sum,
        )

        worker = runtime.worker
        in_flight = runtime.dispatcher.running + (worker.in_flight if worker is not None else 0)
        yield GaugeMetricFamily("tgserve_updates_in_flight", "Updates in a handler now.", in_flight)
        yield GaugeMetricFamily(
            "tgserve_updates_pending",
            "Updates accepted in this process and not finished.",
            runtime.dispatcher.pending,
        )
        stats = runtime.last_queue_stats
        yield GaugeMetricFamily(
            "tgserve_queue_backlog",
            "Updates stored in the queue and not finished (queue mode).",
            stats.backlog if stats is not None else 0,
        )
        yield GaugeMetricFamily(
            "tgserve_queue_oldest_age_seconds",
            "Age of the oldest unfinished update in the queue (queue mode).",
            stats.oldest_age if stats is not None else 0.0,
        )
        yield from _botapi(getattr(runtime.adapter, "bot", None))


def _botapi(bot: Any) -> Iterator[Any]:
    from prometheus_client.core import CounterMetricFamily

    from tgserve.botapi import BotAPI

    calls = CounterMetricFamily("tgserve_botapi_calls", "Bot API requests sent.", labels=["method"])
    errors = CounterMetricFamily(
        "tgserve_botapi_errors", "Bot API requests that failed.", labels=["method", "code"]
    )
    too_many = 0
    if isinstance(bot, BotAPI):
        for method, n in sorted(bot.calls.items()):
            calls.add_metric([method], n)
        for (method, code), n in sorted(bot.errors.items()):
            errors.add_metric([method, code], n)
            if code == "429":
                too_many += n
    yield calls
    yield errors
    flood = CounterMetricFamily("tgserve_botapi_429", "Bot API answers 429 (flood control).")
    flood.add_metric([], too_many)
    yield flood

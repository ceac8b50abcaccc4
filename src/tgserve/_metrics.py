"""Prometheus metrics at ``GET /metrics``, rendered from a :class:`~tgserve._tally.Snapshot`.

``prometheus_client`` is imported only when a scrape asks, and each scrape renders through
its own ``CollectorRegistry``: two bots served by one process (two mounted apps, or tests)
never collide on metric names, and what a route exposes is exactly the runtime that answers
it. The numbers are the same snapshot ``GET {path}`` shows.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from tgserve._gate import Response
from tgserve._tally import Snapshot

if TYPE_CHECKING:
    from tgserve._bots.base import BotAdapter
    from tgserve._stores.base import Store
    from tgserve.broadcast._jobs import Progress

# runtime count -> outcome label
OUTCOMES = {
    "received": "received",
    "handled": "handled",
    "failed": "failed",
    "duplicates": "duplicate",
}


def render(snapshot: Snapshot, broadcasts: Mapping[str, Progress] | None = None) -> Response | None:
    """The text exposition, or ``None`` when prometheus-client is not installed."""
    try:
        from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
    except ImportError:
        return None
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector(snapshot, broadcasts))
    return Response(200, generate_latest(registry), (("content-type", CONTENT_TYPE_LATEST),))


def families(snapshot: Snapshot, broadcasts: Mapping[str, Progress] | None = None) -> Iterator[Any]:
    """One snapshot's metric families (tgserve._multibot labels them by bot)."""
    return _Collector(snapshot, broadcasts).collect()


class Scraped(Protocol):
    """What :func:`broadcasts` reads of a :class:`~tgserve._runtime.Runtime`."""

    @property
    def state(self) -> str: ...

    @property
    def store(self) -> Store: ...

    @property
    def adapter(self) -> BotAdapter: ...


async def broadcasts(runtime: Scraped) -> Mapping[str, Progress] | None:
    """The progress of the runtime's bot's recent broadcast jobs, read from its store for
    a scrape; None before the runtime runs or on a store that keeps no broadcasts."""
    if runtime.state != "running":
        return None
    from tgserve.broadcast._watch import progress

    return await progress(runtime.store, runtime.adapter.bot_id)


class _Collector:
    """Yields one snapshot's numbers (and broadcasts' progress) as metric families."""

    def __init__(
        self, snapshot: Snapshot, broadcasts: Mapping[str, Progress] | None = None
    ) -> None:
        self.snapshot = snapshot
        self.broadcasts = broadcasts

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import (
            CounterMetricFamily,
            GaugeMetricFamily,
            HistogramMetricFamily,
        )

        snap = self.snapshot
        counts = snap.counts
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

        if snap.latency is not None:
            yield HistogramMetricFamily(
                "tgserve_handler_seconds",
                "Time spent in the bot's handler per update.",
                buckets=snap.latency.cumulative(),
                sum_value=snap.latency.sum,
            )

        yield GaugeMetricFamily(
            "tgserve_updates_in_flight", "Updates in a handler now.", snap.in_flight
        )
        yield GaugeMetricFamily(
            "tgserve_updates_pending",
            "Updates accepted in this process and not finished.",
            snap.pending,
        )
        backlog = snap.backlog or {}
        yield GaugeMetricFamily(
            "tgserve_updates_unhandled_peak",
            "Most updates acked and not yet handled at once (background mode): a crash's loss.",
            backlog.get("peak_unhandled", 0),
        )
        yield GaugeMetricFamily(
            "tgserve_requests_held",
            "Requests held now, waiting for room in the backlog (background mode).",
            backlog.get("held", 0),
        )
        stats = snap.queue
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
        calls = CounterMetricFamily(
            "tgserve_botapi_calls", "Bot API requests sent.", labels=["method"]
        )
        errors = CounterMetricFamily(
            "tgserve_botapi_errors", "Bot API requests that failed.", labels=["method", "code"]
        )
        flood = CounterMetricFamily("tgserve_botapi_429", "Bot API answers 429 (flood control).")
        if snap.botapi is not None:
            for method, n in sorted(snap.botapi.calls.items()):
                calls.add_metric([method], n)
            for (method, code), n in sorted(snap.botapi.errors.items()):
                errors.add_metric([method, code], n)
        flood.add_metric([], snap.botapi.flood if snap.botapi is not None else 0)
        yield calls
        yield errors
        yield flood
        if snap.limits is not None:
            from tgserve.limits._metrics import families

            yield from families(snap.limits)
        if snap.webhook is not None:
            from tgserve._webhook_setup.health import metric_families

            yield from metric_families(snap.webhook)
        if self.broadcasts is not None:
            from tgserve.broadcast._metrics import families as broadcast_families

            yield from broadcast_families(self.broadcasts)

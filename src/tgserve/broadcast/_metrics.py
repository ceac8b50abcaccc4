"""Broadcast progress as Prometheus families (prometheus_client imported here)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from tgserve.broadcast._jobs import OUTCOMES, Progress


def families(broadcasts: Mapping[str, Progress]) -> Iterator[Any]:
    """Per job: recipients by outcome (counters), and pending and sending (gauges)."""
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

    done = CounterMetricFamily(
        "tgserve_broadcast_recipients",
        "Broadcast recipients by outcome (sent, blocked, not_found, failed, unconfirmed).",
        labels=["job", "outcome"],
    )
    pending = GaugeMetricFamily(
        "tgserve_broadcast_pending", "Broadcast recipients not yet sent to.", labels=["job"]
    )
    sending = GaugeMetricFamily(
        "tgserve_broadcast_sending",
        "Broadcast recipients whose request is out now.",
        labels=["job"],
    )
    for job, progress in broadcasts.items():
        counts = progress.counts
        for outcome in OUTCOMES:
            done.add_metric([job, outcome], counts.get(outcome, 0))
        pending.add_metric([job], counts.get("pending", 0))
        sending.add_metric([job], counts.get("sending", 0))
    yield done
    yield pending
    yield sending

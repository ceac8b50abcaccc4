"""The governor's Prometheus families, read at scrape time (prometheus_client imported here)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tgserve.limits._governor import LimitStats


def families(stats: LimitStats) -> Iterator[Any]:
    from prometheus_client.core import CounterMetricFamily

    for name, doc, value in (
        (
            "tgserve_limits_429",
            "429 answers the governor saw (Telegram's flood control).",
            stats.flooded,
        ),
        ("tgserve_limits_cooldowns", "Bot-wide cooldowns started by a 429.", stats.cooldowns),
        ("tgserve_limits_waits", "Sends that waited for their budget.", stats.waits),
        ("tgserve_limits_wait_seconds", "Seconds sends spent waiting for budget.", stats.waited),
        (
            "tgserve_limits_short",
            "Sends refused: no budget within their update's time.",
            stats.short,
        ),
    ):
        family = CounterMetricFamily(name, doc)
        family.add_metric([], value)
        yield family

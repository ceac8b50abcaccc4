"""Telegram's side of the webhook, as ``getWebhookInfo`` tells it: pending, last error."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any

from tgserve import _redact as redact


class WebhookHealth:
    """The latest ``getWebhookInfo`` the registrar read, for ``GET {path}`` and the metrics."""

    def __init__(self) -> None:
        self.info: dict[str, Any] | None = None
        self.checked_at: float | None = None  # time.time() of the read

    def update(self, info: Any) -> None:
        if isinstance(info, dict):
            self.info = info
            self.checked_at = time.time()

    @property
    def pending_update_count(self) -> int:
        return int((self.info or {}).get("pending_update_count") or 0)

    @property
    def last_error_date(self) -> int:
        return int((self.info or {}).get("last_error_date") or 0)

    @property
    def max_connections(self) -> int:
        return int((self.info or {}).get("max_connections") or 0)

    def summary(self, now: float | None = None) -> dict[str, Any]:
        """Numbers a person (or an alert) reads: the pending count and the last error's age."""
        if self.info is None or self.checked_at is None:
            return {}
        now = time.time() if now is None else now
        out: dict[str, Any] = {
            "url": self.info.get("url", ""),
            "pending_update_count": self.pending_update_count,
            "max_connections": self.max_connections or None,
            "checked_age": round(now - self.checked_at, 1),
            "last_error_date": self.last_error_date or None,
        }
        if self.last_error_date:
            out["last_error_age"] = round(now - self.last_error_date, 1)
            out["last_error_message"] = redact.redact(str(self.info.get("last_error_message", "")))
        return out


def describe(info: dict[str, Any], now: float | None = None) -> list[str]:
    """``getWebhookInfo`` as lines a person reads (``tgserve webhook info``)."""
    now = time.time() if now is None else now
    url = info.get("url") or "(none: the bot polls or is not set up)"
    lines = [f"url:              {url}"]
    lines.append(f"pending updates:  {int(info.get('pending_update_count') or 0)}")
    error_date = info.get("last_error_date")
    if error_date:
        message = redact.redact(str(info.get("last_error_message", "")))
        lines.append(f"last error:       {ago(now - float(error_date))} ago: {message}")
    else:
        lines.append("last error:       none")
    sync_date = info.get("last_synchronization_error_date")
    if sync_date:
        lines.append(f"last sync error:  {ago(now - float(sync_date))} ago")
    if info.get("url"):
        lines.append(f"max connections:  {info.get('max_connections', 40)}")
        allowed = info.get("allowed_updates")
        shown = ", ".join(allowed) if allowed else "Telegram's default (no chat_member, reactions)"
        lines.append(f"allowed updates:  {shown}")
        if info.get("ip_address"):
            lines.append(f"ip address:       {info['ip_address']}")
    return lines


def ago(seconds: float) -> str:
    """``42 s``, ``5 min``, ``3 h``, ``2 days``."""
    seconds = max(seconds, 0.0)
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"


def metric_families(webhook: Mapping[str, Any]) -> Iterator[Any]:
    """Telegram's numbers as gauges, from the registrar's ``info()`` (they are read only by
    the process that holds the webhook lock; the others show ``tgserve_webhook_leader 0``)."""
    from prometheus_client.core import GaugeMetricFamily

    telegram = webhook.get("telegram") or {}
    gauges = (
        ("leader", "1 in the process that registers and watches the webhook.", "leader"),
        (
            "pending_updates",
            "Updates Telegram holds for the webhook (getWebhookInfo pending_update_count).",
            "pending_update_count",
        ),
        (
            "last_error_timestamp_seconds",
            "When Telegram last failed to deliver to the webhook (Unix time; 0: never).",
            "last_error_date",
        ),
        (
            "max_connections",
            "Connections Telegram opens to the webhook at most.",
            "max_connections",
        ),
        ("checked_age_seconds", "Seconds since getWebhookInfo was read.", "checked_age"),
    )
    for name, text, key in gauges:
        value = webhook.get(key) if key == "leader" else telegram.get(key)
        yield GaugeMetricFamily(f"tgserve_webhook_{name}", text, float(value or 0))

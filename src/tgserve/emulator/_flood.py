"""Flood control like Telegram's, as token buckets per bot.

Telegram's published figures: about 30 messages a second per bot, about one a second
per chat with short bursts, 20 a minute per group, and up to 1,000 a second for sends
with ``allow_paid_broadcast`` (on their own budget instead of the 30). Edits count
like sends. Each bucket holds ``burst`` messages and refills at its rate; a send that
finds one empty is answered 429 with the seconds until it would have room.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections import Counter

from tgserve.emulator._errors import ApiError, too_many_requests
from tgserve.limits._rules import EDITS, SENDS

SENDING_METHODS = SENDS | EDITS


@dataclasses.dataclass(slots=True)
class Figures:
    """Rates (per second, ``group`` per minute) and bursts of each bucket."""

    bot: float = 30.0
    chat: float = 1.0
    chat_burst: float = 3.0
    group: float = 20.0
    paid: float = 1000.0

    def buckets(self) -> dict[str, tuple[float, float]]:
        """kind -> (refill per second, capacity)."""
        return {
            "bot": (self.bot, self.bot),
            "chat": (self.chat, self.chat_burst),
            "group": (self.group / 60.0, self.group),
            "paid": (self.paid, self.paid),
        }


class Flood:
    """`check` raises a 429 ApiError when a bucket the send needs is empty.

    ``answered`` counts the 429s answered, ``by_kind`` which bucket caused them.
    """

    def __init__(self, enabled: bool = False, figures: Figures | None = None) -> None:
        self.enabled = enabled
        self.figures = figures or Figures()
        self.answered = 0
        self.by_kind: Counter[str] = Counter()
        self._buckets: dict[tuple[object, ...], tuple[float, float]] = {}  # key -> (tokens, at)

    def configure(self, **figures: float) -> None:
        """Change figures (names of :class:`Figures`); every bucket starts full again."""
        for name, value in figures.items():
            if name not in Figures.__dataclass_fields__:
                raise ValueError(f"unknown flood figure {name!r}")
            if not float(value) > 0:
                raise ValueError(f"flood figure {name} must be above 0")
            setattr(self.figures, name, float(value))
        self._buckets.clear()

    def reset(self) -> None:
        """Full buckets and a zero count."""
        self._buckets.clear()
        self.answered = 0
        self.by_kind.clear()

    def check(
        self, bot_id: int, method: str, chat_id: int | None, is_group: bool, paid: bool = False
    ) -> None:
        if not self.enabled or method.lower() not in SENDING_METHODS:
            return
        now = time.monotonic()
        paid = paid and method.lower() in SENDS
        kind = "paid" if paid else "bot"
        needed: list[tuple[tuple[object, ...], str]] = [((bot_id, kind), kind)]
        if chat_id is not None:
            needed.append(((bot_id, "chat", chat_id), "chat"))
            if is_group:
                needed.append(((bot_id, "group", chat_id), "group"))
        figures = self.figures.buckets()
        levels: list[float] = []
        wait, worst = 0.0, ""
        for key, kind in needed:
            rate, capacity = figures[kind]
            tokens, at = self._buckets.get(key, (capacity, now))
            tokens = min(capacity, tokens + (now - at) * rate)
            levels.append(tokens)
            if tokens < 1.0 and (1.0 - tokens) / rate > wait:
                wait, worst = (1.0 - tokens) / rate, kind
        if wait > 0:
            self.answered += 1
            self.by_kind[worst] += 1
            raise self._error(wait)
        for (key, _), tokens in zip(needed, levels, strict=True):
            self._buckets[key] = (tokens - 1.0, now)

    def public(self) -> dict[str, object]:
        return {
            "enabled": self.enabled,
            "answered_429": self.answered,
            "by_kind": dict(self.by_kind),
            "figures": dataclasses.asdict(self.figures),
        }

    @staticmethod
    def _error(wait: float) -> ApiError:
        return too_many_requests(max(1, math.ceil(wait)))

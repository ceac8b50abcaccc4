"""The Governor: every counted Bot API call of a bot waits here for its budgets.

Replies (a send from an update's handler, see :mod:`tgserve.limits._budget`) reserve
their place ahead, up to the time their update has left; bulk sends (no update) take
only a place that is free now, so replies go first. A 429 sets a cooldown for the
whole bot in the ledger, which every process sharing the store sees.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Mapping
from typing import Any

from tgserve.limits import _budget as budgets
from tgserve.limits._ledger import Ledger
from tgserve.limits._rules import Limits, charges

log = logging.getLogger("tgserve.limits")

MARGIN = 0.05  # seconds kept back from a deadline for the send itself
BULK_NAP = 1.0  # longest nap of a bulk send between looks at its budget
LOUD = 60.0  # a retry_after above this is logged as an error
LATE = 0.03  # seconds past its place a reply may still go
MAX_LATE = 3  # places given up for lateness before a reply goes late anyway


class OutOfBudget(Exception):
    """A send could not get its budget within its update's time (or the ``wait`` bound)."""

    def __init__(self, method: str, needed: float) -> None:
        super().__init__(f"{method}: no send budget for {needed:.1f}s (Telegram's limits)")
        self.method = method
        self.needed = needed


@dataclasses.dataclass(slots=True)
class LimitStats:
    """What the governor has seen, for metrics and ``GET {path}``."""

    flooded: int = 0  # 429 answers received
    cooldowns: int = 0  # cooldowns started by them
    waits: int = 0  # sends that waited for budget
    waited: float = 0.0  # seconds waited, in all
    short: int = 0  # sends refused: no budget in their time

    def public(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "waited": round(self.waited, 3)}


class Governor:
    """``await governor.acquire(method, params)`` before each call; ``flooded`` on a 429."""

    def __init__(self, limits: Limits, ledger: Ledger) -> None:
        self.limits = limits
        self.ledger = ledger
        self.stats = LimitStats()

    async def acquire(self, method: str, params: Mapping[str, Any]) -> None:
        """Wait until the call may go; :class:`OutOfBudget` when it may not in time."""
        spent = charges(self.limits, method, params)
        if not spent:
            return
        scope = budgets.current()
        loop = asyncio.get_running_loop()
        began = loop.time()
        if scope is None:
            limit = None
        else:
            limit = began + self.limits.wait if scope.deadline is None else scope.deadline
        late_again = 0
        while True:
            now = loop.time()
            if limit is None:  # bulk: a place free now, else a nap and another look
                delay = await self.ledger.reserve(spent, 0.0)
                if delay <= 0.0:
                    break
                if delay > self.limits.wait:
                    self._short(scope, method, delay)
                await asyncio.sleep(min(delay, BULK_NAP))
                continue
            left = limit - now - MARGIN
            delay = await self.ledger.reserve(spent, max(left, 0.0))
            if delay > left:
                self._short(scope, method, delay)
            # the delay counts from the ledger's answer: a ledger behind a lock reads its
            # clock just before it answers, not when it was asked
            due = loop.time() + delay
            if delay > 0:
                await asyncio.sleep(delay)
            if loop.time() - due <= LATE or late_again >= MAX_LATE:
                break
            # woken late (a busy loop): sent now, with the sends of the places after it,
            # it would make a burst; its place is given up and a new one taken
            late_again += 1
        waited = loop.time() - began
        if waited > 0.001:
            self.stats.waits += 1
            self.stats.waited += waited

    def _short(self, scope: budgets.Budget | None, method: str, delay: float) -> None:
        self.stats.short += 1
        if scope is not None:
            scope.short = max(scope.short or 0.0, delay)
        log.warning("%s: no send budget within the time left (%.1fs needed)", method, delay)
        raise OutOfBudget(method, delay)

    async def flooded(self, retry_after: float) -> None:
        """Telegram answered 429: hold every counted send of the bot for ``retry_after`` s."""
        self.stats.flooded += 1
        self.stats.cooldowns += 1
        if retry_after > LOUD:
            log.error(
                "Telegram's flood control holds this bot for %.0f s (%.1f h): its sends "
                "are paused in every process; replies that cannot wait fail",
                retry_after,
                retry_after / 3600,
            )
        else:
            log.warning("429 from the Bot API: sends paused bot-wide for %.1f s", retry_after)
        await self.ledger.cool(retry_after)

    async def cooldown(self) -> float:
        """Seconds left of the bot's cooldown."""
        return await self.ledger.cooldown()

"""Where budgets and the bot's cooldown live: the Ledger protocol, chosen by the store.

One ledger per bot, on the store the runtime already opened (its client or pool, not a
new one): an atomic Lua script on Redis, a transaction on PostgreSQL and SQLite, a dict
on ``memory://`` (one process only). Times come from the store's own clock where it
has one, so that every process agrees on them.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, Protocol

from tgserve._stores.kinds import Kind, backend_of
from tgserve.limits._gcra import plan
from tgserve.limits._rules import Charge


class Ledger(Protocol):
    shared: bool  # every process of the bot sees the same budgets

    async def reserve(self, charges: Sequence[Charge], horizon: float) -> float:
        """Reserve the call's place when it may go within ``horizon`` s; return the delay."""
        ...

    async def cool(self, seconds: float) -> None:
        """Hold every counted send of the bot for ``seconds`` (a 429's ``retry_after``)."""
        ...

    async def cooldown(self) -> float:
        """Seconds left of the cooldown (0 when none)."""
        ...


class MemoryLedger:
    """Budgets in this process; for ``memory://`` and tests."""

    shared = False

    def __init__(self) -> None:
        self._tats: dict[str, float] = {}
        self._cool_until = 0.0
        self._calls = 0

    async def reserve(self, charges: Sequence[Charge], horizon: float) -> float:
        now = time.monotonic()
        tats = [self._tats.get(c.key, 0.0) for c in charges]
        delay, new = plan(now, self._cool_until, tats, charges, horizon)
        if new is not None:
            for charge, tat in zip(charges, new, strict=True):
                self._tats[charge.key] = tat
            self._calls += 1
            if self._calls % 4096 == 0:  # forget budgets that are back to full
                self._tats = {k: v for k, v in self._tats.items() if v > now}
        return delay

    async def cool(self, seconds: float) -> None:
        self._cool_until = max(self._cool_until, time.monotonic() + seconds)

    async def cooldown(self) -> float:
        return max(0.0, self._cool_until - time.monotonic())


# store kind -> "module:class"; each class is built as cls(store, namespace)
LEDGERS: dict[Kind, str] = {
    "redis": "tgserve.limits._redis:RedisLedger",
    "postgresql": "tgserve.limits._postgres:PostgresLedger",
    "sqlite": "tgserve.limits._sqlite:SQLiteLedger",
}


def open_ledger(store: Any, namespace: str) -> Ledger:
    """The ledger on ``store`` (opened already): its kind's, else one in this process."""
    cls = backend_of(store, LEDGERS)
    if cls is None:
        return MemoryLedger()
    ledger: Ledger = cls(store, namespace)
    return ledger

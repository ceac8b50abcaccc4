"""The budget arithmetic every ledger shares (Redis runs the same steps in Lua).

Each budget keeps one number, its *theoretical arrival time* (GCRA): the instant by
which every call it allowed so far would have been sent at its pace. A call may go at
``tat - tolerance``; sending it moves ``tat`` on by the call's ``cost``. A call
spending several budgets goes when the last of them allows it, and no sooner than the
bot's cooldown ends.
"""

from __future__ import annotations

from collections.abc import Sequence

from tgserve.limits._rules import Charge


def plan(
    now: float,
    cool_until: float,
    tats: Sequence[float],
    charges: Sequence[Charge],
    horizon: float,
) -> tuple[float, list[float] | None]:
    """``(delay, new tats)``: the call may go ``delay`` s from ``now``. When ``delay`` is
    beyond ``horizon`` nothing is reserved and the new tats are ``None``."""
    start = max(now, cool_until)
    for tat, charge in zip(tats, charges, strict=True):
        start = max(start, tat - charge.tolerance)
    delay = start - now
    if delay > horizon:
        return delay, None
    return delay, [max(tat, start) + charge.cost for tat, charge in zip(tats, charges, strict=True)]

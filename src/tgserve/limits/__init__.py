"""Telegram's send limits, kept across every process of a bot (docs/limits.md)."""

from tgserve.limits._budget import Budget, HandBack, current, scope
from tgserve.limits._governor import Governor, LimitStats, OutOfBudget
from tgserve.limits._ledger import Ledger, MemoryLedger, open_ledger
from tgserve.limits._rules import Charge, Limits, LimitsError, charges, parse

__all__ = [
    "Budget",
    "Charge",
    "Governor",
    "HandBack",
    "Ledger",
    "LimitStats",
    "Limits",
    "LimitsError",
    "MemoryLedger",
    "OutOfBudget",
    "charges",
    "current",
    "open_ledger",
    "parse",
    "scope",
]

"""Telegram's send limits, kept across every process of a bot (docs/limits.md)."""

from tgserve.limits.budget import Budget, HandBack, current, scope
from tgserve.limits.governor import Governor, LimitStats, OutOfBudget
from tgserve.limits.ledger import Ledger, MemoryLedger, open_ledger
from tgserve.limits.rules import Charge, Limits, LimitsError, charges, parse

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

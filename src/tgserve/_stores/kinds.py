"""Which kind of server a store is, the one rule by which the parts that live on a store
(broadcast jobs, send budgets, bot state) pick their own backend for it.

A store is recognised by its class's name (a subclass counts as its base), so that
nothing here imports redis, asyncpg or sqlite3: a plain bot on ``memory://`` loads none.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any, Literal

Kind = Literal["redis", "postgresql", "sqlite"]

KINDS: dict[str, Kind] = {
    "RedisStore": "redis",
    "PostgresStore": "postgresql",
    "SQLiteStore": "sqlite",
}


def kind_of(store: object) -> Kind | None:
    """``redis``, ``postgresql`` or ``sqlite`` for tgserve's stores of those servers (or a
    subclass); ``None`` for any other (``memory://``, ``dynamodb://``, a store of one's own)."""
    for cls in type(store).__mro__:
        kind = KINDS.get(cls.__name__)
        if kind is not None:
            return kind
    return None


def backend_of(store: object, table: Mapping[Kind, str]) -> Any:
    """What ``table`` (``kind -> "module:attr"``) names for ``store``'s kind, its module
    imported now; ``None`` when the store is of no kind the table has."""
    kind = kind_of(store)
    target = table.get(kind) if kind is not None else None
    if target is None:
        return None
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)

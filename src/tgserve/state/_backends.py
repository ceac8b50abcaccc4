"""Which state backend each store keeps its records in; imported only when state is on."""

from __future__ import annotations

import importlib
from typing import Any

from tgserve.state._base import StateBackend

# store class name -> "module:class"; each class is built as cls(store, ttl=...)
BACKENDS: dict[str, str] = {
    "SQLiteStore": "tgserve.state._sqlite:SQLiteState",
    "RedisStore": "tgserve.state._redis:RedisState",
    "PostgresStore": "tgserve.state._postgres:PostgresState",
}


def backend_for(store: Any, ttl: float | None) -> StateBackend:
    """The state backend on ``store``'s own connection; the process's memory for memory://."""
    own = getattr(store, "state_backend", None)
    if callable(own):
        backend: StateBackend = own(ttl)
        return backend
    target = BACKENDS.get(type(store).__name__)
    if target is None:
        from tgserve.state._memory import MemoryState

        return MemoryState(ttl)
    module, _, name = target.partition(":")
    cls: Any = getattr(importlib.import_module(module), name)
    built: StateBackend = cls(store, ttl=ttl)
    return built

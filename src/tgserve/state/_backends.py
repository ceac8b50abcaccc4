"""Which state backend each store keeps its records in; imported only when state is on."""

from __future__ import annotations

from typing import Any

from tgserve._stores.kinds import Kind, backend_of
from tgserve.state._base import StateBackend

# store kind -> "module:class"; each class is built as cls(store, ttl=...)
BACKENDS: dict[Kind, str] = {
    "sqlite": "tgserve.state._sqlite:SQLiteState",
    "redis": "tgserve.state._redis:RedisState",
    "postgresql": "tgserve.state._postgres:PostgresState",
}


def backend_for(store: Any, ttl: float | None) -> StateBackend:
    """The state backend on ``store``'s own connection; the process's memory for memory://."""
    own = getattr(store, "state_backend", None)
    if callable(own):
        backend: StateBackend = own(ttl)
        return backend
    cls = backend_of(store, BACKENDS)
    if cls is None:
        from tgserve.state._memory import MemoryState

        return MemoryState(ttl)
    built: StateBackend = cls(store, ttl=ttl)
    return built

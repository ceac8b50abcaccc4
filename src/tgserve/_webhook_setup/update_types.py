"""Which update types a bot subscribes to (``allowed_updates``); the types are in
:mod:`tgserve._update_types`."""

from __future__ import annotations

from typing import Any, Protocol

from tgserve._update_types import ALL_UPDATE_TYPES


class HasAllowedUpdates(Protocol):
    """What :func:`allowed_updates_for` reads of a :class:`~tgserve._config.Config`."""

    @property
    def allowed_updates(self) -> tuple[str, ...] | None: ...


def allowed_updates_for(config: HasAllowedUpdates, adapter: Any) -> tuple[str, ...]:
    """The explicit option, else what the bot's adapter says it can handle, else all."""
    if config.allowed_updates is not None:
        return config.allowed_updates
    derive = getattr(adapter, "allowed_updates", None)
    derived = derive() if callable(derive) else None
    return tuple(derived) if derived else ALL_UPDATE_TYPES

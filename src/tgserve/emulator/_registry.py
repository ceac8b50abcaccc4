"""The table of Bot API methods the emulator implements, by lower-case name."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from tgserve.emulator._params import Params

if TYPE_CHECKING:
    from tgserve.emulator._state import BotState, World


@dataclasses.dataclass(frozen=True)
class Described:
    """A result with Telegram's `description` next to it (setWebhook, deleteWebhook)."""

    result: Any
    description: str


Method = Callable[["World", "BotState", Params], Awaitable[Any]]
METHODS: dict[str, Method] = {}


def method(name: str) -> Callable[[Method], Method]:
    """Register the decorated coroutine as Bot API method `name` (case-insensitive)."""

    def register(func: Method) -> Method:
        METHODS[name.lower()] = func
        return func

    return register

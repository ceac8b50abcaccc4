"""The BotAdapter protocol: what the runtime needs from any kind of bot; and what a bot is."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, runtime_checkable

if TYPE_CHECKING:  # named for the type checker only: a framework is imported when used
    from aiogram import Dispatcher
    from telegram.ext import Application

    from tgserve._botapi import BotAPI

PlainHandler: TypeAlias = "Callable[[dict[str, Any], BotAPI], Awaitable[Any]]"


@runtime_checkable
class BotAdapter(Protocol):
    """One framework's bot, as the runtime drives it.

    ``startup`` and ``shutdown`` are called once each, on the runtime's loop
    (``long_running``: a server or poller, not a function host such as Lambda);
    ``handle`` runs one update to completion and may return a webhook-reply
    method (a dict with a ``method`` key) that inline mode sends back.
    """

    kind: str
    bot_id: str

    async def startup(self, *, long_running: bool) -> None: ...

    async def shutdown(self) -> None: ...

    async def handle(self, update: dict[str, Any]) -> Any: ...


Target: TypeAlias = (
    "PlainHandler | Application[Any, Any, Any, Any, Any, Any] | Dispatcher | BotAdapter"
)
"""What a host serves: a plain ``async def handle(update, bot)``, a PTB ``Application``,
an aiogram ``Dispatcher`` (with ``bot=aiogram.Bot(...)``), or a ready :class:`BotAdapter`."""

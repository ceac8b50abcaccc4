"""The BotAdapter protocol: what the runtime needs from any kind of bot."""

from __future__ import annotations

from typing import Any, Protocol


class BotAdapter(Protocol):
    """One framework's bot, as the runtime drives it.

    ``startup`` and ``shutdown`` are called once each, on the runtime's loop;
    ``handle`` runs one update to completion and may return a webhook-reply
    method (a dict with a ``method`` key) that inline mode sends back.
    """

    kind: str
    bot_id: str

    async def startup(self, *, server: bool) -> None: ...

    async def shutdown(self) -> None: ...

    async def handle(self, update: dict[str, Any]) -> Any: ...

"""An aiogram ``Dispatcher`` with its ``Bot``."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, Dispatcher


class AiogramBot:
    """Emits the dispatcher's startup and shutdown hooks and feeds raw updates to it."""

    kind = "aiogram"

    def __init__(self, dispatcher: Dispatcher, bot: Bot) -> None:
        self.dispatcher = dispatcher
        self.bot = bot
        self.bot_id = str(bot.id)

    @property
    def token(self) -> str:
        """The bot's token (for getUpdates when polling); never log it."""
        return str(self.bot.token)

    def _workflow(self) -> dict[str, Any]:
        return {
            **self.dispatcher.workflow_data,
            "dispatcher": self.dispatcher,
            "bot": self.bot,
            "bots": [self.bot],
        }

    async def startup(self, *, server: bool) -> None:
        await self.dispatcher.emit_startup(**self._workflow())

    async def shutdown(self) -> None:
        try:
            await self.dispatcher.emit_shutdown(**self._workflow())
        finally:
            await self.bot.session.close()

    async def handle(self, update: dict[str, Any]) -> Any:
        await self.dispatcher.feed_raw_update(self.bot, update)
        return None

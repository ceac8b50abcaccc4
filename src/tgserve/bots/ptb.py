"""A python-telegram-bot ``Application``."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import Application
from telegram.request import HTTPXRequest

log = logging.getLogger("tgserve.ptb")


class PTBBot:
    """Initialises the application once (and starts it on servers, so JobQueue and
    persistence run), feeds updates through ``process_update``, stops it once."""

    kind = "ptb"

    def __init__(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        self.app = app
        self.bot_id = str(app.bot.token.split(":", 1)[0])
        self._started = False

    @property
    def token(self) -> str:
        """The bot's token (for getUpdates when polling); never log it."""
        return str(self.app.bot.token)

    async def startup(self, *, server: bool) -> None:
        await self.app.initialize()
        if self.app.post_init:
            await self.app.post_init(self.app)
        if server:
            await self.app.start()
            self._started = True
            if isinstance(self.app.bot.request, HTTPXRequest):
                log.info(
                    "this PTB bot calls the Bot API through httpx; built with "
                    ".request(tgserve.bots.ptb_request.AiohttpRequest()) it uses about a "
                    "quarter of the CPU per update (docs/architecture.md)"
                )

    async def shutdown(self) -> None:
        if self._started and self.app.running:
            await self.app.stop()
            if self.app.post_stop:
                await self.app.post_stop(self.app)
        await self.app.shutdown()
        if self.app.post_shutdown:
            await self.app.post_shutdown(self.app)

    async def handle(self, update: dict[str, Any]) -> Any:
        await self.app.process_update(Update.de_json(update, self.app.bot))
        return None

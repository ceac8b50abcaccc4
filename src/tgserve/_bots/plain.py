"""A plain bot: ``async def handle(update: dict, bot: BotAPI) -> None``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from tgserve._botapi import BotAPI
from tgserve._config import Config

if TYPE_CHECKING:
    from tgserve.state._plain import PlainState
    from tgserve.state._records import StateRecords

Handler = Callable[[dict[str, Any], BotAPI], Awaitable[Any]]


class PlainBot:
    """Calls the handler with the update dict and a :class:`BotAPI` bound to the runtime's loop."""

    kind = "plain"

    def __init__(self, handler: Handler, config: Config, bot: BotAPI | None = None) -> None:
        if bot is None:
            if not config.token:
                raise ValueError(
                    "a plain bot needs a token: set TELEGRAM_BOT_TOKEN or pass token=..."
                )
            bot = BotAPI(config.token, config.api_url, max_in_flight=config.max_in_flight)
        self.handler = handler
        self.bot = bot
        self.bot_id = str(bot.id or "bot")
        self.state: PlainState | None = None

    def use_state(self, records: StateRecords, *, enabled: bool, shared: bool) -> None:
        """Per-chat and per-user dicts (``tgserve.state.chat_state()``; docs/state.md)."""
        from tgserve.state._plain import PlainState

        self.state = PlainState(records)

    @property
    def token(self) -> str:
        """The bot's token (for tgserve's own calls); never log it."""
        return self.bot.token

    def allowed_updates(self) -> list[str] | None:
        """A plain handler may take any update: ``None``, every type (the option narrows it)."""
        return None

    async def startup(self, *, long_running: bool) -> None:
        return None

    async def shutdown(self) -> None:
        await self.bot.close()

    async def handle(self, update: dict[str, Any]) -> Any:
        if self.state is None:
            return await self.handler(update, self.bot)
        return await self.state.around(update, lambda: self.handler(update, self.bot))

"""An aiogram ``Dispatcher`` with its ``Bot``."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from aiogram import Bot, Dispatcher
from aiogram.methods.base import TelegramMethod

if TYPE_CHECKING:
    from tgserve.state._records import StateRecords

_response_models: list[type] = []  # held for the life of the process; see keep_response_models


def keep_response_models() -> None:
    """Build ``Response[T]`` for every Bot API method's result type once, and hold them.

    aiogram validates each answer with ``Response[T]``; pydantic caches such generic
    classes only while something references them, so a busy bot rebuilds them again
    and again (the cost is in docs/benchmarks.md). Building them all once is quick.
    """
    if _response_models:
        return
    from aiogram import methods
    from aiogram.methods.base import Response, TelegramMethod

    results: set[Any] = {
        method.__returning__
        for method in vars(methods).values()
        if isinstance(method, type) and issubclass(method, TelegramMethod)
        if method is not TelegramMethod
    }
    generic: Any = Response
    for result in results:
        with contextlib.suppress(Exception):  # unmodelled here: aiogram builds it when used
            _response_models.append(generic[result])


class AiogramBot:
    """Emits the dispatcher's startup and shutdown hooks and feeds raw updates to it."""

    kind = "aiogram"

    def __init__(self, dispatcher: Dispatcher, bot: Bot) -> None:
        self.dispatcher = dispatcher
        self.bot = bot
        self.bot_id = str(bot.id)

    def use_state(self, records: StateRecords, *, enabled: bool, shared: bool) -> None:
        """FSM state in the store, for a Dispatcher on the default MemoryStorage."""
        if enabled:
            from tgserve.state._aiogram import use_state

            use_state(self.dispatcher, records)

    @property
    def token(self) -> str:
        """The bot's token (for getUpdates when polling); never log it."""
        return str(self.bot.token)

    def allowed_updates(self) -> list[str] | None:
        """The update types the dispatcher's routers have handlers for."""
        return list(self.dispatcher.resolve_used_update_types())

    def _workflow(self) -> dict[str, Any]:
        return {
            **self.dispatcher.workflow_data,
            "dispatcher": self.dispatcher,
            "bot": self.bot,
            "bots": [self.bot],
        }

    async def startup(self, *, long_running: bool) -> None:
        if long_running:  # not on Lambda's cold start, where one call per request gains little
            keep_response_models()
        from tgserve._bots.aiogram_filters import inline_pure_filters

        inline_pure_filters(self.dispatcher)  # F.text and the like: no thread hand-off each
        try:
            await self.dispatcher.emit_startup(**self._workflow())
        except BaseException:
            await self.bot.session.close()  # shutdown() is not called for a failed start
            raise

    async def shutdown(self) -> None:
        try:
            await self.dispatcher.emit_shutdown(**self._workflow())
        finally:
            await self.bot.session.close()

    async def handle(self, update: dict[str, Any]) -> Any:
        result = await self.dispatcher.feed_raw_update(self.bot, update)
        if isinstance(result, TelegramMethod):
            # `return message.answer(...)`: sent, as aiogram's own polling does. Not made the
            # webhook reply: that answer is lost where no webhook waits for it (polling,
            # workers) and when the handler outlives inline_timeout.
            await self.bot(result)
        return None

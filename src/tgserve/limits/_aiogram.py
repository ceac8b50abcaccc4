"""The governor as an aiogram request middleware on the bot's session."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import Response, TelegramMethod

from tgserve.limits._governor import Governor

MAX_FLOODS = 5  # 429s in a row for one call before it fails
_FIELDS = ("chat_id", "allow_paid_broadcast", "media", "message_ids")


class GovernorMiddleware(BaseRequestMiddleware):
    """Waits for the call's budgets; on ``TelegramRetryAfter`` sets the cooldown, tries again."""

    def __init__(self, governor: Governor) -> None:
        self.governor = governor

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[Any],
        bot: Bot,
        method: TelegramMethod[Any],
    ) -> Response[Any]:
        params = call_params(method)
        floods = 0
        while True:
            await self.governor.acquire(method.__api_method__, params)
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                floods += 1
                if floods > MAX_FLOODS:
                    raise
                await self.governor.flooded(float(exc.retry_after))


def call_params(method: TelegramMethod[Any]) -> dict[str, Any]:
    """The fields of ``method`` the governor's charges read (the ones it has)."""
    fields = type(method).model_fields  # looked up, not getattr's default: pydantic raises
    return {f: getattr(method, f) for f in _FIELDS if f in fields}  # a costly AttributeError


def install_aiogram(bot: Bot, governor: Governor) -> None:
    """Register the middleware once on the bot's session."""
    if not any(isinstance(m, GovernorMiddleware) for m in bot.session.middleware):
        bot.session.middleware(GovernorMiddleware(governor))

"""The governor as python-telegram-bot's ``BaseRateLimiter`` (any request class)."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import Application, BaseRateLimiter, ExtBot

from tgserve.limits._governor import Governor

log = logging.getLogger("tgserve.limits")
MAX_FLOODS = 5  # 429s in a row for one call before it fails


class GovernorRateLimiter(BaseRateLimiter[None]):
    """Waits for the call's budgets; on ``RetryAfter`` sets the bot's cooldown and tries again."""

    def __init__(self, governor: Governor) -> None:
        self.governor = governor

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        floods = 0
        while True:
            await self.governor.acquire(endpoint, data)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                floods += 1
                if floods > MAX_FLOODS:
                    raise
                await self.governor.flooded(_seconds(exc.retry_after))


def _seconds(value: int | float | datetime.timedelta) -> float:
    return value.total_seconds() if isinstance(value, datetime.timedelta) else float(value)


def install_ptb(app: Application[Any, Any, Any, Any, Any, Any], governor: Governor) -> bool:
    """Install the limiter on an Application that has none; keep its own (and say so)."""
    bot = app.bot
    if not isinstance(bot, ExtBot):
        log.info("this PTB Application's bot is not an ExtBot: tgserve's send limits are off")
        return False
    if bot.rate_limiter is not None and not isinstance(bot.rate_limiter, GovernorRateLimiter):
        log.info(
            "this PTB Application has its own rate limiter (%s); tgserve keeps it and "
            "does not add its shared send limits",
            type(bot.rate_limiter).__name__,
        )
        return False
    bot._rate_limiter = GovernorRateLimiter(governor)
    return True

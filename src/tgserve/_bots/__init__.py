"""Bot adapters, one file per framework; the framework is imported only when its bot is used."""

from __future__ import annotations

import inspect
import logging
from typing import Any

from tgserve._bots.base import BotAdapter, PlainHandler, Target
from tgserve._config import Config

__all__ = ["BotAdapter", "PlainHandler", "Target", "adapt", "kind_of"]

log = logging.getLogger("tgserve.runtime")
TELEGRAM = Config.__dataclass_fields__["api_url"].default  # Bot API default: api.telegram.org

ACCEPTED = (
    "an async function handle(update: dict, bot: tgserve.BotAPI), "
    "a telegram.ext.Application, or an aiogram Dispatcher (with bot=aiogram.Bot(...))"
)


def kind_of(target: Any) -> str | None:
    """'ptb', 'aiogram' or 'plain' by the object's class names, without importing a framework."""
    for cls in type(target).__mro__:
        module, name = cls.__module__, cls.__qualname__
        if module.startswith("telegram.ext") and name == "Application":
            return "ptb"
        if module.startswith("aiogram") and name == "Dispatcher":
            return "aiogram"
    func = getattr(target, "__call__", None)  # noqa: B004 - an object with an async __call__ counts
    if inspect.iscoroutinefunction(target) or inspect.iscoroutinefunction(func):
        return "plain"
    return None


def adapt(bot_target: Target, config: Config, *, bot: Any = None) -> BotAdapter:
    """Wrap ``bot_target`` in the adapter of its kind; a clear ``TypeError`` for anything else."""
    if isinstance(bot_target, BotAdapter):
        return bot_target
    target: Any = bot_target  # which kind it is, is decided by class names below
    kind = kind_of(target)
    if kind == "ptb":
        from tgserve._bots.ptb import PTBBot

        _warn_own_server(config, target.bot.base_url, "PTB", "ApplicationBuilder().base_url")
        return PTBBot(target, max_in_flight=config.max_in_flight, aiohttp=config.ptb_aiohttp)
    if kind == "aiogram":
        from tgserve._bots.aiogram import AiogramBot

        if bot is None:
            raise TypeError("an aiogram Dispatcher needs its bot: pass bot=aiogram.Bot(...)")
        _warn_own_server(config, bot.session.api.base, "aiogram", "TelegramAPIServer")
        return AiogramBot(target, bot)
    if kind == "plain":
        from tgserve._bots.plain import PlainBot

        return PlainBot(target, config, bot)
    raise TypeError(f"tgserve serves {ACCEPTED}; got {type(target).__name__}")


def _warn_own_server(config: Config, bot_url: str, kind: str, setter: str) -> None:
    """A PTB or aiogram bot calls the Bot API server it was built with; ``api_url`` (used by
    plain bots and webhook registration) cannot move it. Say so when the two differ (a bot
    built for api.telegram.org run with TGSERVE_API_URL at a local Telegram, say)."""
    if config.api_url != TELEGRAM and not bot_url.startswith(config.api_url + "/"):
        log.warning(
            "api_url is %s, but this %s bot calls the Bot API server it was built with; "
            "set the server on the bot (%s) to move it",
            config.api_url,
            kind,
            setter,
        )

"""Putting the governor in front of each kind of bot, with no configuration."""

from __future__ import annotations

import logging
from typing import Any

from tgserve._botapi import BotAPI
from tgserve.limits._governor import Governor
from tgserve.limits._ledger import open_ledger
from tgserve.limits._rules import Limits

log = logging.getLogger("tgserve.limits")


def install(adapter: Any, store: Any, limits: Limits | None) -> Governor | None:
    """Build the bot's governor on its (open) store and install it where the bot's calls
    go: BotAPI's hook, PTB's rate limiter, aiogram's session middleware. ``None`` when
    switched off, or when a PTB Application brings its own rate limiter."""
    if limits is None:
        return None
    governor = Governor(limits, open_ledger(store, str(adapter.bot_id)))
    if adapter.kind == "ptb":
        from tgserve.limits._ptb import install_ptb

        return governor if install_ptb(adapter.app, governor) else None
    if adapter.kind == "aiogram":
        from tgserve.limits._aiogram import install_aiogram

        install_aiogram(adapter.bot, governor)
        return governor
    bot = getattr(adapter, "bot", None)
    if isinstance(bot, BotAPI):  # a plain bot's client, or a ready BotAdapter's
        if bot.governor is None:
            bot.governor = governor
        return bot.governor
    return None

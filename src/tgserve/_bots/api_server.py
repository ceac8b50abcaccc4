"""Point a framework bot's own Bot API client at another server (the local Telegram).

A PTB ``Application`` or an aiogram ``Bot`` built the usual way calls api.telegram.org;
:func:`point_at` makes the very client the bot built call ``api_url`` instead, with no
change to the bot's code. A plain bot needs none of this: it takes ``api_url`` from its
options.
"""

from __future__ import annotations

from typing import Any

from tgserve._bots import kind_of


def point_at(target: Any, bot: Any, api_url: str) -> str | None:
    """Make ``target``'s client (PTB) or ``bot``'s session (aiogram) call ``api_url``.

    Returns what changed, in a few words without the token, or ``None`` when the bot's
    kind takes the URL from its options (plain bots).
    """
    api_url = api_url.rstrip("/")
    kind = kind_of(target)
    if kind == "ptb":
        _point_ptb(target.bot, api_url)
        return "the PTB Application's base_url and base_file_url"
    if kind == "aiogram" and bot is not None:
        _point_aiogram(bot, api_url)
        return "the aiogram Bot's session (a TelegramAPIServer)"
    return None


def _point_ptb(bot: Any, api_url: str) -> None:
    # PTB fixes both URLs, token included, when the Bot is built and offers no setter; the
    # values follow its own rule for a base URL without a {token} placeholder.
    token = bot.token
    bot._base_url = f"{api_url}/bot{token}"
    bot._base_file_url = f"{api_url}/file/bot{token}"


def _point_aiogram(bot: Any, api_url: str) -> None:
    from aiogram.client.telegram import TelegramAPIServer

    bot.session.api = TelegramAPIServer.from_base(api_url)

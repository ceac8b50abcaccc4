"""A bot's failures on the local Telegram, explained in one line instead of a traceback."""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

TELEGRAM_HOST = "api.telegram.org"
REACHES_TELEGRAM = (
    "the bot called api.telegram.org, not the local Telegram: tgserve run points the client "
    "the bot builds from TELEGRAM_BOT_TOKEN (a PTB Application, an aiogram Bot, "
    "tgserve.BotAPI); point any other client at TGSERVE_API_URL"
)
_LIBRARIES = (
    "/site-packages/",
    "/dist-packages/",
    "/lib/python",
    str(Path(__file__).resolve().parents[1]),
)


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def reaches_telegram(exc: BaseException) -> bool:
    """True when ``exc`` (or what caused it) is a failed call to api.telegram.org."""
    for link in _chain(exc):
        if TELEGRAM_HOST in str(link):
            return True
        try:
            request = getattr(link, "request", None)  # httpx errors carry the request
        except RuntimeError:  # httpx raises when no request is attached
            request = None
        url = getattr(request, "url", None)
        if url is not None and TELEGRAM_HOST in str(url):
            return True
    return False


def where_raised(exc: BaseException) -> str | None:
    """``on_startup (bot.py:12)``: the innermost frame of the bot's own code, if any."""
    found = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if not any(part in frame.filename for part in _LIBRARIES):
            found = f"{frame.name} ({Path(frame.filename).name}:{frame.lineno})"
    return found


def start_failure(exc: BaseException) -> str:
    """One line for a bot whose start-up (framework start, hooks, store) raised ``exc``."""
    if reaches_telegram(exc):
        return REACHES_TELEGRAM
    what = f"{type(exc).__name__}: {exc}".splitlines()[0].rstrip(": ")
    place = where_raised(exc)
    return f"the bot's start-up failed{f' in {place}' if place else ''}: {what}"


class TelegramCallFilter(logging.Filter):
    """Turns a logged failure to reach api.telegram.org into one explaining line."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and reaches_telegram(exc):
            record.msg, record.args = REACHES_TELEGRAM, None
            record.exc_info = record.exc_text = None
        return True

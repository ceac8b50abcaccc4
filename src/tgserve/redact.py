"""Keep bot tokens and secrets out of every log record, whichever library logs it.

tgserve installs one log-record factory for the process: each record is redacted
when it is created, so handlers added later, and the loggers of httpx, PTB and
aiogram, never see a token.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

TOKEN_RE = re.compile(r"\d{3,}:[A-Za-z0-9_-]{35}")
MASK = "<redacted>"

_secrets: set[str] = set()
_lock = threading.Lock()
_installed = False


def redact(text: str) -> str:
    """``text`` with every token-shaped value and registered secret masked."""
    text = TOKEN_RE.sub(MASK, text)
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def install(*secrets: str | None) -> None:
    """Register secrets (a token, a webhook secret) and install the record factory once."""
    global _installed
    with _lock:
        _secrets.update(s for s in secrets if s and len(s) >= 6)
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            _scrub(record)
            return record

        logging.setLogRecordFactory(factory)
        _installed = True


def _scrub(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a bad format string is the caller's bug; leave it to logging
        return
    clean = redact(message)
    if clean != message:
        record.msg, record.args = clean, ()
    if record.exc_info and record.exc_info[1] is not None:
        text = logging.Formatter().formatException(record.exc_info)
        record.exc_text = redact(text)

"""Keep bot tokens and secrets out of every log record, whichever library logs it.

tgserve installs one log-record factory for the process: each record is redacted
when it is created, before any filter, handler or formatter sees it, so handlers
added later and the loggers of httpx, httpcore, PTB (``telegram.*``) and aiogram
never see a token, whatever their levels. The message (with its ``args``), the
exception text and the stack text are all masked.

The cost is one regular-expression scan of each record's message that logging
creates anyway (records below a logger's level are never created).
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

# ``123456:ABC...`` as Telegram issues it, also percent-encoded (``%3A``) in a URL.
TOKEN_RE = re.compile(r"\d+(?::|%3[Aa])[A-Za-z0-9_-]{35}")
MASK = "<redacted>"
MIN_SECRET = 6  # shorter registered values would mask ordinary words

_secrets: frozenset[str] = frozenset()
_lock = threading.Lock()
_installed = False


def redact(text: str) -> str:
    """``text`` with every token-shaped value and registered secret masked."""
    if ":" in text or "%3" in text:
        text = TOKEN_RE.sub(MASK, text)
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def install(*secrets: str | None) -> None:
    """Register secrets (a token, a webhook secret) and install the record factory once."""
    global _installed, _secrets
    with _lock:
        fresh = {s for s in secrets if s and len(s) >= MIN_SECRET}
        if fresh - _secrets:
            # longest first, so a secret that contains another is masked whole
            _secrets = frozenset(sorted(_secrets | fresh, key=len, reverse=True))
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            scrub(record)
            return record

        logging.setLogRecordFactory(factory)
        _installed = True


def installed() -> bool:
    """True once :func:`install` has put the factory in place."""
    return _installed


def scrub(record: logging.LogRecord) -> None:
    """Mask ``record`` in place: message and ``args``, exception text, stack text."""
    try:
        message = record.getMessage()
    except Exception:  # a bad format string is the caller's bug; show it, masked
        message = f"{record.msg!s} {record.args!r}"
        record.msg, record.args = redact(message), ()
    else:
        clean = redact(message)
        if clean != message:
            # args folded in: a formatter that prints the args on their own sees no token
            record.msg, record.args = clean, ()
    if record.exc_info and record.exc_info[1] is not None:
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)

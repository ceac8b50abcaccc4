"""Bot tokens as the emulator issues and accepts them (redaction lives in tgserve._redact)."""

from __future__ import annotations

import re
import secrets
import string

TOKEN_RE = re.compile(r"^(\d{1,20}):[A-Za-z0-9_-]{35}$")
_ALPHABET = string.ascii_letters + string.digits + "_-"


def is_token(value: str) -> bool:
    return TOKEN_RE.match(value) is not None


def bot_id(token: str) -> int:
    match = TOKEN_RE.match(token)
    if match is None:
        raise ValueError("not a bot token")
    return int(match.group(1))


def fresh_token(bot_id: int | None = None) -> str:
    """A new token-shaped value; the id part is random unless given."""
    ident = bot_id if bot_id is not None else 1_000_000_000 + secrets.randbelow(8_000_000_000)
    return f"{ident}:" + "".join(secrets.choice(_ALPHABET) for _ in range(35))

"""JSON on the hot paths (each update's body, each Bot API answer and request): orjson
where installed (the ``speed`` extra), 3-4x faster than the standard library, else json.

What orjson refuses and json takes (``NaN``, a byte-order mark, lone surrogates) is
decoded by json, so a body is accepted or refused exactly as before; the one difference
is that orjson reads an integer past 64 bits (none in the Bot API) as a float.
On AWS Lambda (one update per invocation) orjson is left out: its import, with the
modules it pulls in, would cost the cold start more than it saves.
"""

from __future__ import annotations

import json
import os
from types import ModuleType
from typing import Any


def _orjson() -> ModuleType | None:
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        return None
    try:
        import orjson
    except ImportError:  # the speed extra is not installed
        return None
    return orjson


orjson: Any = _orjson()

__all__ = ["dumps", "loads"]


def loads(data: bytes | str) -> Any:
    """``json.loads``, faster; raises ``ValueError`` (or ``RecursionError``) as it does."""
    if orjson is not None:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass  # json decides: it takes a little more, or raises its own error
    return json.loads(data)


def dumps(value: Any) -> bytes:
    """Compact JSON as UTF-8 bytes (non-ASCII as it is, as Telegram reads it)."""
    if orjson is not None:
        try:
            encoded: bytes = orjson.dumps(value)
            return encoded
        except TypeError:
            pass  # a type orjson does not know (an int past 64 bits, a subclass): json's turn
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()

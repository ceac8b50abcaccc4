"""Flood control like Telegram's: ~1 message/s per chat, 30/s overall, 20/min per group."""

from __future__ import annotations

import math
import time
from collections import deque

from tgserve.emulator.errors import ApiError, too_many_requests

SENDING_METHODS = frozenset(
    {
        "sendmessage",
        "sendphoto",
        "senddocument",
        "editmessagetext",
        "editmessagereplymarkup",
        "forwardmessage",
        "copymessage",
    }
)
_LIMITS = {"chat": (3, 3.0), "all": (30, 1.0), "group": (20, 60.0)}


class Flood:
    """Sliding windows per bot; `check` raises a 429 ApiError when one is full."""

    def __init__(self, enabled: bool = False) -> None:
        self.enabled = enabled
        self._windows: dict[tuple[object, ...], deque[float]] = {}

    def check(self, bot_id: int, method: str, chat_id: int | None, is_group: bool) -> None:
        if not self.enabled or method.lower() not in SENDING_METHODS:
            return
        now = time.monotonic()
        keys: list[tuple[tuple[object, ...], str]] = [((bot_id,), "all")]
        if chat_id is not None:
            keys.append(((bot_id, chat_id), "group" if is_group else "chat"))
        wait = 0.0
        for key, kind in keys:
            limit, span = _LIMITS[kind]
            window = self._windows.setdefault(key, deque())
            while window and window[0] <= now - span:
                window.popleft()
            if len(window) >= limit:
                wait = max(wait, window[0] + span - now)
        if wait > 0:
            raise self._error(wait)
        for key, _ in keys:
            self._windows[key].append(now)

    @staticmethod
    def _error(wait: float) -> ApiError:
        return too_many_requests(max(1, math.ceil(wait)))

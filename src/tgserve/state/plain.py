"""Plain bots' state: a JSON dict per chat and per user, read before the handler, saved after.

Inside a plain bot's handler::

    from tgserve.state import chat_state, user_state

    async def handle(update: dict, bot: tgserve.BotAPI) -> None:
        seen = chat_state()              # this update's chat's dict (empty at first)
        seen["count"] = seen.get("count", 0) + 1

Values go through tgserve's JSON codec (docs/state.md); what changed is written when the
handler returns, inside the chat's claim or lease. On ``memory://`` the dicts live in the
process; on a shared store they follow the chat to every process.
"""

from __future__ import annotations

import contextvars
import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

from tgserve.dispatch import chat_key
from tgserve.state.errors import StateDecodeError
from tgserve.state.records import StateRecords
from tgserve.state.synced import Synced

_current: contextvars.ContextVar[_Held | None] = contextvars.ContextVar(
    "tgserve_plain_state", default=None
)


@dataclasses.dataclass(slots=True)
class _Held:
    chat: dict[str, Any] | None
    user: dict[str, Any] | None


def chat_state() -> dict[str, Any]:
    """The state of the current update's chat, saved when the handler returns.

    Raises ``LookupError`` outside a handler, with ``state="off"``, or for an update
    that has no chat.
    """
    held = _held()
    if held.chat is None:
        raise LookupError("this update has no chat; use user_state()")
    return held.chat


def user_state() -> dict[str, Any]:
    """The state of the current update's user (across chats), saved when the handler returns.

    Raises ``LookupError`` outside a handler, with ``state="off"``, or for an update
    that has no user.
    """
    held = _held()
    if held.user is None:
        raise LookupError("this update has no user; use chat_state()")
    return held.user


def _held() -> _Held:
    held = _current.get()
    if held is None:
        raise LookupError("no tgserve state here: call it inside a plain bot's handler, state on")
    return held


def _user_id(update: dict[str, Any]) -> int | None:
    for body in update.values():
        if isinstance(body, dict):
            user = body.get("from") or body.get("user")
            if isinstance(user, dict) and type(user.get("id")) is int:
                return int(user["id"])
    return None


class PlainState:
    """Loads the chat's and the user's dicts around one handler call."""

    def __init__(self, records: StateRecords) -> None:
        self.records = records
        self.synced = Synced(records)
        self._live: dict[str, dict[str, Any]] = {}

    async def around(self, update: dict[str, Any], call: Callable[[], Awaitable[Any]]) -> Any:
        """Run ``call`` with the update's state at :func:`chat_state` and :func:`user_state`."""
        key = chat_key(update)
        chat = f"pc:{key[1]}" if key is not None and key[0] == "chat" else None
        user_id = _user_id(update)
        user = None if user_id is None else f"pu:{user_id}"
        names = [n for n in (chat, user) if n is not None]
        stored = await self.records.read(names)
        taken: list[str] = []
        failed = True
        try:
            for name in names:
                live = self._live.setdefault(name, {})
                try:
                    self.synced.take(name, live, stored.get(name, {}))
                except StateDecodeError as exc:
                    raise StateDecodeError(f"chat {key[1] if key else None}: {exc}") from None
                taken.append(name)
            held = _Held(
                self._live.get(chat) if chat else None, self._live.get(user) if user else None
            )
            token = _current.set(held)
            try:
                reply = await call()
            finally:
                _current.reset(token)
            changes = [self.synced.change(n, self._live[n]) for n in names]
            await self.records.write([c for c in changes if c is not None])
            failed = False
            return reply
        finally:
            for name in taken:
                if self.synced.give_back(name, failed=failed):
                    self._live.pop(name, None)

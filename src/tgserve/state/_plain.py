"""Plain bots' state: a JSON dict per chat and per user, read on first use, saved after.

Inside a plain bot's handler::

    from tgserve.state import chat_state, user_state

    async def handle(update: dict, bot: tgserve.BotAPI) -> None:
        seen = await chat_state()        # this update's chat's dict (empty at first)
        seen["count"] = seen.get("count", 0) + 1

The first call reads the chat's and the user's records in one round trip; what changed
is written when the handler returns, inside the chat's claim or lease. A handler that
never asks costs nothing. Values go through tgserve's JSON codec (docs/state.md). On
``memory://`` the dicts live in the process; on a shared store they follow the chat to
every process.
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable
from typing import Any

from tgserve._dispatch import chat_key
from tgserve.state._errors import StateDecodeError
from tgserve.state._records import StateRecords
from tgserve.state._synced import Synced

_current: contextvars.ContextVar[_Held | None] = contextvars.ContextVar(
    "tgserve_plain_state", default=None
)


async def chat_state() -> dict[str, Any]:
    """The state of the current update's chat, saved when the handler returns.

    Raises ``LookupError`` outside a handler, with ``state="off"``, or for an update
    that has no chat.
    """
    held = await _held().load()
    if held.chat is None:
        raise LookupError("this update has no chat; use user_state()")
    return held.live[held.chat]


async def user_state() -> dict[str, Any]:
    """The state of the current update's user (across chats), saved when the handler returns.

    Raises ``LookupError`` outside a handler, with ``state="off"``, or for an update
    that has no user.
    """
    held = await _held().load()
    if held.user is None:
        raise LookupError("this update has no user; use chat_state()")
    return held.live[held.user]


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


class _Held:
    """One update's chat and user records, read on first use."""

    def __init__(self, owner: PlainState, update: dict[str, Any]) -> None:
        self.owner = owner
        self.update = update
        self.chat_id: int | None = None
        self.chat: str | None = None
        self.user: str | None = None
        self.live: dict[str, dict[str, Any]] = {}
        self.taken: list[str] = []
        self.loaded = False

    async def load(self) -> _Held:
        if self.loaded:
            return self
        key = chat_key(self.update)  # found on first use: a handler that never asks pays nothing
        self.chat_id = key[1] if key is not None and key[0] == "chat" else None
        user_id = _user_id(self.update)
        self.chat = None if self.chat_id is None else f"pc:{self.chat_id}"
        self.user = None if user_id is None else f"pu:{user_id}"
        names = [n for n in (self.chat, self.user) if n is not None]
        stored = await self.owner.records.read(names)
        self.loaded = True
        for name in names:
            live = self.owner.live.setdefault(name, {})
            try:
                self.owner.synced.take(name, live, stored.get(name, {}))
            except StateDecodeError as exc:
                raise StateDecodeError(f"chat {self.chat_id}: {exc}") from None
            self.taken.append(name)
            self.live[name] = live
        return self


class PlainState:
    """Keeps the chat's and the user's dicts of plain bots' updates (see the module doc)."""

    def __init__(self, records: StateRecords) -> None:
        self.records = records
        self.synced = Synced(records)
        self.live: dict[str, dict[str, Any]] = {}  # records held by updates in flight

    async def around(self, update: dict[str, Any], call: Callable[[], Awaitable[Any]]) -> Any:
        """Run ``call`` with :func:`chat_state` and :func:`user_state` for ``update``."""
        held = _Held(self, update)
        token = _current.set(held)
        failed = True
        try:
            reply = await call()
            changes = [self.synced.change(n, held.live[n]) for n in held.taken]
            await self.records.write([c for c in changes if c is not None])
            failed = False
            return reply
        finally:
            _current.reset(token)
            for name in held.taken:
                if self.synced.give_back(name, failed=failed):
                    self.live.pop(name, None)

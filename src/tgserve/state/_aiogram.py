"""The aiogram bridge: tgserve's FSM storage (aiogram's ``BaseStorage``) on the store.

A Dispatcher on aiogram's default ``MemoryStorage`` gets a :class:`StoreStorage`; one
with a storage of its own keeps it. Records are keyed by the whole ``StorageKey``
(bot, chat, user, thread, business connection, destiny); the state and the data are
two fields of one record, read and written when aiogram asks, inside the chat's claim
or lease.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram import Dispatcher
from aiogram.exceptions import DataNotDictLikeError
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from aiogram.fsm.storage.memory import MemoryStorage

from tgserve.state._base import Change
from tgserve.state._records import StateRecords


def storage_key(key: StorageKey) -> str:
    """The record a StorageKey names: every part of it, so no two keys share a record."""
    parts = (
        key.bot_id,
        key.chat_id,
        key.user_id,
        "" if key.thread_id is None else key.thread_id,
        key.business_connection_id or "",
        key.destiny,
    )
    return "a:" + ":".join(str(p) for p in parts)


class StoreStorage(BaseStorage):
    """aiogram FSM state and data in tgserve's store (JSON through tgserve's codec)."""

    def __init__(self, records: StateRecords) -> None:
        self.records = records

    async def _read(self, key: StorageKey) -> dict[str, Any]:
        name = storage_key(key)
        found = await self.records.read([name])
        return self.records.decode(name, found.get(name, {}))

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        name = storage_key(key)
        value = state.state if isinstance(state, State) else state
        if value is None:
            await self.records.write([Change(name, {}, ["s"])])
        else:
            await self.records.write([Change(name, self.records.encode(name, {"s": value}))])

    async def get_state(self, key: StorageKey) -> str | None:
        state = (await self._read(key)).get("s")
        return state if isinstance(state, str) else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        if not isinstance(data, dict):
            msg = f"Data must be a dict or dict-like object, got {type(data).__name__}"
            raise DataNotDictLikeError(msg)
        name = storage_key(key)
        if not data:
            await self.records.write([Change(name, {}, ["d"])])
        else:
            await self.records.write([Change(name, self.records.encode(name, {"d": dict(data)}))])

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        data = (await self._read(key)).get("d")
        return dict(data) if isinstance(data, dict) else {}

    async def close(self) -> None:
        return None


def use_state(dispatcher: Dispatcher, records: StateRecords) -> bool:
    """Give ``dispatcher`` a :class:`StoreStorage` if it is on the default MemoryStorage."""
    fsm = dispatcher.fsm
    if type(fsm.storage) is not MemoryStorage or fsm.storage.storage:
        return False  # its own storage (or a memory one already holding state) is left alone
    fsm.storage = StoreStorage(records)
    return True

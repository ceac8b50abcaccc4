"""StateRecords: one bot's records through a backend and a codec, with diffing and retries.

The bridges (PTB, aiogram, plain bots) read what an update can touch before its
handler, keep the encoded fields they read as a snapshot, and after the handler
write only the fields whose encoding changed (and drop the ones that went away).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from tgserve.state._base import Change, Fields, StateBackend
from tgserve.state._codec import Codec, JSONCodec
from tgserve.state._errors import StateDecodeError, StateEncodeError, StateUnavailableError

log = logging.getLogger("tgserve.state")

JSON = JSONCodec()  # field names are JSON whatever the codec of values
SAVE_RETRIES = (0.05, 0.25, 1.0)  # seconds between the attempts of a failed write


class StateRecords:
    """Encodes, diffs and saves records; a failed write is retried, then raised."""

    def __init__(self, backend: StateBackend, codec: Codec, bot_id: str) -> None:
        self.backend = backend
        self.codec = codec
        self.bot_id = bot_id

    def where(self, key: str, field: str | None = None) -> str:
        """How errors name a record: bot, key and field (never a token)."""
        return f"bot {self.bot_id}, state key {key!r}" + (f", field {field!r}" if field else "")

    async def read(self, keys: Sequence[str]) -> dict[str, Fields]:
        """The records of ``keys`` that exist; a store error is raised as it is."""
        try:
            return await self.backend.read(list(dict.fromkeys(keys)))
        except Exception as exc:
            raise StateUnavailableError(f"could not read state for bot {self.bot_id}") from exc

    def decode(self, key: str, fields: Mapping[str, bytes]) -> dict[Any, Any]:
        """Every field of one record, decoded; :class:`StateDecodeError` names key and field."""
        out: dict[Any, Any] = {}
        decode = self.codec.decode
        for name, raw in fields.items():
            item = name if name[:1] != "$" else self._field_key(name, self.where(key, name))
            try:
                out[item] = decode(raw, "")
            except StateDecodeError:  # decoded again to name the field: it fails the same way
                out[item] = decode(raw, self.where(key, name))
        return out

    def encode(self, key: str, values: Mapping[Any, Any]) -> Fields:
        """Every value of one record, encoded; :class:`StateEncodeError` names key and field."""
        out: Fields = {}
        encode = self.codec.encode
        for item, value in values.items():
            name = self._field_name(item, key)
            try:
                out[name] = encode(value, "")
            except StateEncodeError:  # encoded again to name the field: it fails the same way
                out[name] = encode(value, self.where(key, name))
        return out

    def _field_name(self, item: Any, key: str) -> str:
        """A str key is its own field name (``$`` escaped); any other key, its JSON form."""
        if type(item) is str and "\x00" not in item:  # PostgreSQL text holds no NUL
            return "$s" + item if item.startswith("$") else item
        return "$j" + JSON.encode(item, self.where(key)).decode()

    @staticmethod
    def _field_key(name: str, where: str) -> Any:
        if name.startswith("$s"):
            return name[2:]
        if name.startswith("$j"):
            return JSON.decode(name[2:].encode(), where)
        return name

    @staticmethod
    def diff(key: str, now: Fields, before: Mapping[str, bytes]) -> Change | None:
        """The change that turns ``before`` into ``now``, or None when they are equal."""
        put = {name: raw for name, raw in now.items() if before.get(name) != raw}
        drop = [name for name in before if name not in now]
        return Change(key, put, drop) if put or drop else None

    async def write(self, changes: Sequence[Change]) -> None:
        """Apply ``changes``; retried on a store error, then :class:`StateUnavailableError`."""
        if not changes:
            return
        for attempt, pause in enumerate((*SAVE_RETRIES, None)):
            try:
                await self.backend.write(changes)
                return
            except Exception as exc:
                if pause is None:
                    raise StateUnavailableError(
                        f"could not save state for bot {self.bot_id} after {attempt + 1} "
                        f"attempts: {', '.join(sorted({c.key for c in changes}))}"
                    ) from exc
                log.warning(
                    "state save failed for bot %s (%s); retrying in %.2fs",
                    self.bot_id,
                    type(exc).__name__,
                    pause,
                )
                await asyncio.sleep(pause)

"""The per-backend state protocol: records of named fields, each field one encoded value.

A record is what one key holds (a user's ``user_data``, a chat's ``chat_data``, one
conversation's state, ...); its fields are written and dropped one by one, so two
processes that change different fields of one record both keep their change.
A new store backend keeps state by implementing :class:`StateBackend` (four coroutines)
and naming its factory in :data:`tgserve.state._backends.BACKENDS`, or by giving its
store class a ``state_backend(ttl)`` method.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

Fields = dict[str, bytes]


@dataclasses.dataclass(frozen=True, slots=True)
class Change:
    """What to do to one record: write the fields in ``put``, remove those in ``drop``."""

    key: str
    put: Mapping[str, bytes] = dataclasses.field(default_factory=dict)
    drop: Sequence[str] = ()


@runtime_checkable
class StateBackend(Protocol):
    """Where one bot's state records live; shares its store's connection, pool or client.

    ``read`` returns the fields of each key that exists (missing keys are absent, an
    empty record is missing); ``write`` applies every change atomically where the
    backend can (Redis MULTI, one SQL transaction). With ``ttl`` set, a record not
    written for ``ttl`` seconds reads as missing and is eventually deleted.
    """

    ttl: float | None

    async def read(self, keys: Sequence[str]) -> dict[str, Fields]: ...

    async def write(self, changes: Sequence[Change]) -> None: ...

    async def delete(self, keys: Sequence[str]) -> None: ...

    async def close(self) -> None: ...

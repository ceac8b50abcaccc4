"""The Store protocol: deduplication of update ids, shared by every backend."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Protocol, runtime_checkable


class Claim(enum.Enum):
    """The answer to :meth:`Store.claim`."""

    NEW = "new"  # the caller owns the update now and must mark it done or release it
    BUSY = "busy"  # another worker holds an unexpired lease on it
    DONE = "done"  # it was handled to completion already


@runtime_checkable
class Store(Protocol):
    """Where update ids are claimed, so that an update is handled once in effect.

    A claim holds a lease; an update claimed by a worker that died becomes claimable
    again when its lease expires. ``done`` records stay for the store's TTL.
    Every method is a coroutine run on the runtime's loop.
    """

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def claim(self, update_id: int, lease: float) -> Claim: ...

    async def renew(self, update_ids: Sequence[int], lease: float) -> None: ...

    async def done(self, update_id: int) -> None: ...

    async def release(self, update_id: int) -> None: ...

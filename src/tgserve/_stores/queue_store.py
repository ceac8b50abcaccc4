"""The Queue protocol: durable updates taken in per-chat order under a lease (``ack="queue"``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from tgserve._stores.base import Store


@dataclasses.dataclass(frozen=True, slots=True)
class Job:
    """One update taken from the queue; ``token`` proves the lease is still this taker's."""

    update_id: int
    chat: str
    payload: bytes
    attempt: int
    token: str


@dataclasses.dataclass(frozen=True, slots=True)
class QueueStats:
    """Backlog (stored, not finished, in flight included), in flight, oldest age in seconds."""

    backlog: int
    in_flight: int
    oldest_age: float


@runtime_checkable
class Queue(Protocol):
    """Updates stored once each, handed out one chat at a time across every process.

    ``take`` hands out only the oldest unfinished update of a chat, and only when no
    other update of that chat is leased; a lease not renewed lapses, and the update
    is handed out again (a worker that died). ``finish`` and ``retry`` succeed only
    while the job's token still holds the chat's lease.
    """

    async def enqueue(self, update_id: int, chat: str, payload: bytes) -> bool: ...

    async def take(self, limit: int, lease: float) -> list[Job]: ...

    async def extend(self, jobs: Sequence[Job], lease: float) -> list[Job]: ...

    async def finish(self, job: Job) -> bool: ...

    async def finish_many(self, jobs: Sequence[Job]) -> list[bool]: ...

    async def retry(self, job: Job, delay: float) -> bool: ...

    async def stats(self) -> QueueStats: ...


@runtime_checkable
class QueueStore(Store, Queue, Protocol):
    """A backend that both deduplicates and queues."""

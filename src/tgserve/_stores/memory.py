"""The in-memory store: dedup and a queue within one process, bounded in size and time."""

from __future__ import annotations

import dataclasses
import time
from collections import OrderedDict
from collections.abc import Sequence

from tgserve._stores.base import Claim
from tgserve._stores.queue_store import Job, QueueStats

_DONE = float("inf")


@dataclasses.dataclass(slots=True)
class _Chat:
    pending: dict[int, tuple[bytes, float]]  # update_id -> (payload, enqueued at)
    lease_until: float = 0.0
    token: str | None = None


class MemoryStore:
    """Update ids in a dict, oldest first; ``max_entries`` bounds the finished ones (an
    update still queued is kept until it is finished, whatever the bound).

    Its queue lives in the process: it survives nothing, and suits tests and one
    process that wants ``ack="queue"`` semantics without a durable store.
    """

    def __init__(self, *, ttl: float = 24 * 3600.0, max_entries: int = 200_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        # update_id -> (lease expiry or _DONE, time the record was written)
        self._records: OrderedDict[int, tuple[float, float]] = OrderedDict()
        self._chats: dict[str, _Chat] = {}
        self._queued: set[int] = set()  # in a chat's queue: never evicted by max_entries
        self._attempts: dict[int, int] = {}

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def claim(self, update_id: int, lease: float) -> Claim:
        now = time.monotonic()
        record = self._records.get(update_id)
        if record is not None:
            expiry, written = record
            if expiry == _DONE and now - written < self.ttl:
                return Claim.DONE
            if expiry != _DONE and now < expiry:
                return Claim.BUSY
        self._put(update_id, now + lease, now)
        return Claim.NEW

    async def renew(self, update_ids: Sequence[int], lease: float) -> None:
        now = time.monotonic()
        for update_id in update_ids:
            record = self._records.get(update_id)
            if record is not None and record[0] != _DONE:
                self._records[update_id] = (now + lease, record[1])

    async def done(self, update_id: int) -> None:
        now = time.monotonic()
        if update_id in self._records:  # in place: the record keeps its claim's position,
            self._records[update_id] = (_DONE, now)  # which the expiry sweep allows for
        else:
            self._put(update_id, _DONE, now)

    async def release(self, update_id: int) -> None:
        self._records.pop(update_id, None)

    async def enqueue(self, update_id: int, chat: str, payload: bytes) -> bool:
        now = time.monotonic()
        if update_id in self._queued:
            return False
        record = self._records.get(update_id)
        if record is not None and (record[0] != _DONE or now - record[1] < self.ttl):
            return False
        self._put(update_id, now + 1e12, now)  # held until finished
        self._queued.add(update_id)
        entry = self._chats.setdefault(chat, _Chat({}))
        entry.pending[update_id] = (payload, now)
        return True

    async def take(self, limit: int, lease: float) -> list[Job]:
        now = time.monotonic()
        ready = [
            (min(c.pending), name)
            for name, c in self._chats.items()
            if c.pending and c.lease_until <= now
        ]
        ready.sort(key=lambda item: self._chats[item[1]].pending[item[0]][1])
        import uuid  # queue mode's leases only: off a plain webhook's cold start

        jobs = []
        for update_id, name in ready[:limit]:
            entry = self._chats[name]
            entry.token = uuid.uuid4().hex
            entry.lease_until = now + lease
            attempt = self._attempts.get(update_id, 0) + 1
            self._attempts[update_id] = attempt
            payload = entry.pending[update_id][0]
            jobs.append(Job(update_id, name, payload, attempt, entry.token))
        return jobs

    async def extend(self, jobs: Sequence[Job], lease: float) -> list[Job]:
        lost = []
        for job in jobs:
            entry = self._holding(job)
            if entry is None:
                lost.append(job)
            else:
                entry.lease_until = time.monotonic() + lease
        return lost

    async def finish(self, job: Job) -> bool:
        entry = self._holding(job)
        if entry is None:
            return False
        entry.pending.pop(job.update_id, None)
        self._queued.discard(job.update_id)
        self._attempts.pop(job.update_id, None)
        entry.token, entry.lease_until = None, 0.0
        if not entry.pending:
            del self._chats[job.chat]
        await self.done(job.update_id)
        return True

    async def finish_many(self, jobs: Sequence[Job]) -> list[bool]:
        return [await self.finish(job) for job in jobs]

    async def retry(self, job: Job, delay: float) -> bool:
        entry = self._holding(job)
        if entry is None:
            return False
        entry.token, entry.lease_until = None, time.monotonic() + delay
        return True

    async def stats(self) -> QueueStats:
        now = time.monotonic()
        backlog = sum(len(c.pending) for c in self._chats.values())
        in_flight = sum(1 for c in self._chats.values() if c.token and c.lease_until > now)
        oldest = min((t for c in self._chats.values() for _, t in c.pending.values()), default=now)
        return QueueStats(backlog, in_flight, now - oldest)

    def _holding(self, job: Job) -> _Chat | None:
        entry = self._chats.get(job.chat)
        if entry is None or entry.token != job.token or job.update_id not in entry.pending:
            return None
        return entry

    def _put(self, update_id: int, expiry: float, now: float) -> None:
        records = self._records
        if update_id in records:
            del records[update_id]
        records[update_id] = (expiry, now)
        while len(records) > self.max_entries:
            records.popitem(last=False)
        # drop expired records from the old end, in the order they were first written (a
        # finished record keeps its place and holds the ones behind it until it expires)
        while records:
            oldest_id = next(iter(records))
            if now - records[oldest_id][1] < self.ttl:
                break
            del records[oldest_id]


def from_url(url: str, *, namespace: str, ttl: float) -> MemoryStore:
    """``memory://`` (a namespace is not needed: the store lives in one runtime)."""
    del url, namespace
    return MemoryStore(ttl=ttl)

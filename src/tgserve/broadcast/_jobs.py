"""Where a broadcast job lives: its message and each recipient's state, in the store.

A recipient is ``pending``, then ``sending`` while its one request is out, then
``sent``, ``blocked`` (403), ``not_found`` (chat not found) or ``failed``. A
recipient found ``sending`` when a job resumes was in flight when its broadcaster
died: it may have been delivered, so it is recorded ``unconfirmed`` and never sent again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

OUTCOMES = ("sent", "blocked", "not_found", "failed", "unconfirmed")
STATES = ("pending", "sending", *OUTCOMES)


class JobError(ValueError):
    """An unknown job id, or a store that cannot hold a broadcast; one line."""


@dataclasses.dataclass(frozen=True, slots=True)
class Progress:
    """Recipients by state."""

    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def done(self) -> int:
        return sum(self.counts.get(o, 0) for o in OUTCOMES)

    @property
    def finished(self) -> bool:
        """No recipient pending or in flight: the counts will not change again."""
        return self.total > 0 and self.done == self.total

    def line(self) -> str:
        parts = [f"{s.replace('_', ' ')} {self.counts.get(s, 0)}" for s in STATES]
        return f"{self.done}/{self.total}: " + ", ".join(parts)


def progress_by_job(rows: Iterable[Sequence[Any]]) -> dict[str, Progress]:
    """Rows of ``(job, state, count)``, as a job store's ``GROUP BY`` gives them, by job."""
    counts: dict[str, dict[str, int]] = {}
    for job, state, n in rows:
        counts.setdefault(str(job), {})[str(state)] = int(n)
    return {job: Progress(c) for job, c in counts.items()}


class JobStore(Protocol):
    async def create(self, job: str, spec: dict[str, Any], chats: Sequence[int]) -> None: ...

    async def spec(self, job: str) -> dict[str, Any] | None: ...

    async def recover(self, job: str) -> int:
        """Record recipients left ``sending`` as ``unconfirmed``; return how many."""
        ...

    async def pending(self, job: str) -> list[int]: ...

    async def claim(self, job: str, chat: int) -> bool:
        """``pending`` -> ``sending``; False when another broadcaster has it."""
        ...

    async def release(self, job: str, chat: int) -> None:
        """``sending`` -> ``pending``: the request surely delivered nothing (a 429)."""
        ...

    async def settle(self, job: str, chat: int, outcome: str) -> None: ...

    async def progress(self, job: str) -> Progress: ...

    async def recent(self, limit: int) -> list[str]:
        """The ids of this bot's ``limit`` newest jobs, newest first."""
        ...

    async def progress_of(self, jobs: Sequence[str]) -> dict[str, Progress]:
        """The progress of each of ``jobs`` in one read (a job with no recipients is absent)."""
        ...


class JobStoreBase:
    """What a job store derives from its backend's two primitives: claim, release and settle,
    each one move of a recipient's state by the compare-and-set ``_move(job, chat, old,
    new)`` (True when it moved); one job's progress from ``progress_of``."""

    async def _move(self, job: str, chat: int, old: str, new: str) -> bool:
        raise NotImplementedError

    async def progress_of(self, jobs: Sequence[str]) -> dict[str, Progress]:
        raise NotImplementedError

    async def progress(self, job: str) -> Progress:
        return (await self.progress_of([job])).get(job) or Progress({})

    async def claim(self, job: str, chat: int) -> bool:
        return await self._move(job, chat, "pending", "sending")

    async def release(self, job: str, chat: int) -> None:
        await self._move(job, chat, "sending", "pending")

    async def settle(self, job: str, chat: int, outcome: str) -> None:
        await self._move(job, chat, "sending", outcome)

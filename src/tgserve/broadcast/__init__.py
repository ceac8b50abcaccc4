"""Durable broadcasts: one Bot API method sent to many chats, once each (docs/limits.md).

```python
async with tgserve.broadcast.Broadcaster(token, store="redis://...") as caster:
    job = await caster.create([1, 2, 3], text="hello")
    progress = await caster.run(job)
```
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any

from tgserve._botapi import BotAPI
from tgserve._stores import open_store
from tgserve._stores.kinds import Kind, backend_of
from tgserve.broadcast._chats import ChatsError, read_chats
from tgserve.broadcast._jobs import OUTCOMES, JobError, JobStore, Progress
from tgserve.broadcast._sender import Paused, run_job
from tgserve.limits import Governor, Limits, open_ledger

__all__ = [
    "OUTCOMES",
    "Broadcaster",
    "ChatsError",
    "JobError",
    "Paused",
    "Progress",
    "read_chats",
]


# store kind -> "module:class"; each class is built as cls(store, namespace)
JOB_STORES: dict[Kind, str] = {
    "redis": "tgserve.broadcast._redis:RedisJobs",
    "sqlite": "tgserve.broadcast._sqlite:SQLiteJobs",
    "postgresql": "tgserve.broadcast._postgres:PostgresJobs",
}


def open_jobs(store: Any, namespace: str) -> JobStore:
    """The job store on an open tgserve store; one that dies with its process is refused."""
    cls = backend_of(store, JOB_STORES)
    if cls is None:
        raise JobError(
            "a broadcast must outlive its process and be shared by every sender: use "
            "--store (or TGSERVE_STORE) sqlite:///path, redis://... or postgresql://..."
        )
    jobs: JobStore = cls(store, namespace)
    return jobs


class Broadcaster:
    """Creates, runs and reports broadcast jobs of one bot, kept in ``store``.

    Sends go through the bot's shared budgets in the same store, as bulk sends, so
    the bot's replies in every process go first.
    """

    def __init__(
        self,
        token: str,
        *,
        store: str,
        api_url: str = "https://api.telegram.org",
        limits: Limits | None = None,
        concurrency: int = 8,
    ) -> None:
        self.bot = BotAPI(token, api_url, max_retries=2, max_retry_after=0.0)
        self.namespace = str(self.bot.id or "bot")
        self.store = open_store(store, namespace=self.namespace)
        self.limits = limits or Limits()
        self.concurrency = concurrency
        self._jobs: JobStore | None = None
        self._governor: Governor | None = None

    async def __aenter__(self) -> Broadcaster:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def open(self) -> None:
        jobs = open_jobs(self.store, self.namespace)  # refuses memory:// before it opens
        await self.store.open()
        self._jobs = jobs
        self._governor = Governor(self.limits, open_ledger(self.store, self.namespace))

    async def close(self) -> None:
        await self.bot.close()
        await self.store.close()

    @property
    def jobs(self) -> JobStore:
        if self._jobs is None:
            raise RuntimeError("the Broadcaster is not open")
        return self._jobs

    async def create(
        self, chats: Sequence[int], *, method: str = "sendMessage", **params: Any
    ) -> str:
        """Store a new job (``params`` of ``method`` for every chat); return its id."""
        if not chats:
            raise JobError("a broadcast needs at least one chat")
        job = uuid.uuid4().hex[:12]
        spec = {"method": method, "params": {k: v for k, v in params.items() if v is not None}}
        await self.jobs.create(job, spec, list(chats))
        return job

    async def status(self, job: str) -> Progress:
        """The job's recipients by state; :class:`JobError` for an unknown job."""
        if await self.jobs.spec(job) is None:
            raise JobError(f"unknown broadcast job {job!r} in this store")
        return await self.jobs.progress(job)

    async def run(self, job: str, on_progress: Callable[[Progress], Any] | None = None) -> Progress:
        """Send to every pending recipient of ``job`` (a new one, or one to resume)."""
        spec = await self.jobs.spec(job)
        if spec is None:
            raise JobError(f"unknown broadcast job {job!r} in this store")
        assert self._governor is not None
        return await run_job(
            job,
            self.jobs,
            self.bot,
            self._governor,
            spec,
            concurrency=self.concurrency,
            on_progress=on_progress,
        )

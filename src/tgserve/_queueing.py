"""Queue mode: the webhook stores each update; workers take them in per-chat order.

A :class:`QueueWorker` runs on the runtime's loop, in the serving process or in a
``tgserve worker`` process. It takes at most ``concurrency`` updates at once (one
per chat, the queue sees to that), renews their leases while handlers run, and
finishes each one. On stop it takes nothing more, lets in-flight handlers finish
within the grace period, and hands the ones it had to cut back to the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from tgserve._batching import Batcher
from tgserve._deliveries import UpdateDelivery, delivering
from tgserve._dispatch import chat_key
from tgserve._store_health import brief
from tgserve._stores.queue_store import Job, QueueStats, QueueStore
from tgserve.limits._budget import HandBack

log = logging.getLogger("tgserve.queue")

Handle = Callable[[dict[str, Any]], Awaitable[Any]]
MAX_ATTEMPTS = 5  # with on_error="retry": a failing update is retried this often, then dropped
POLL_MIN, POLL_MAX = 0.01, 0.2  # seconds between takes while the queue looks empty
STATS_EVERY = 1.0
TAKE_BATCH = 32  # chats leased per take: short statements hold few rows against enqueues


def queue_key(update: dict[str, Any]) -> str:
    """The ordering key: the chat (else user); an update with neither is ordered with no other."""
    key = chat_key(update)
    if key is None:
        return f"update:{update['update_id']}"
    return f"{key[0]}:{key[1]}"


def encode(update: dict[str, Any]) -> bytes:
    return json.dumps(update, separators=(",", ":"), ensure_ascii=False).encode()


class QueueWorker:
    """Takes updates from a :class:`QueueStore` and runs ``handle`` on each, once in effect."""

    def __init__(
        self,
        queue: QueueStore,
        handle: Handle,
        *,
        concurrency: int,
        lease: float,
        on_error: str = "ack",
        counts: Counter[str] | None = None,
    ) -> None:
        self.queue = queue
        self.handle = handle
        self.concurrency = concurrency
        self.lease = lease
        self.on_error = on_error
        self.counts: Counter[str] = Counter() if counts is None else counts
        self.stats = QueueStats(0, 0, 0.0)
        self._jobs: dict[asyncio.Task[None], Job] = {}
        self._finishes: Batcher[Job, bool] = Batcher(queue.finish_many)
        self._held: dict[int, Job] = {}  # leases to renew: taken, not yet finished or handed back
        self._wake = asyncio.Event()
        self._stopping = False
        self._loop_task: asyncio.Task[None] | None = None
        self._renewer: asyncio.Task[None] | None = None
        self._stats_at = 0.0

    @property
    def in_flight(self) -> int:
        return len(self._jobs)

    async def start(self) -> None:
        if self._loop_task is None:
            self._loop_task = asyncio.ensure_future(self._take_loop())
            self._renewer = asyncio.ensure_future(self._renew_loop())

    def wake(self) -> None:
        """Take now: an update was just stored, or a chat freed."""
        self._wake.set()

    async def refresh_stats(self) -> QueueStats:
        """Backlog and oldest age from the store, at most once a second."""
        loop = asyncio.get_running_loop()
        if loop.time() - self._stats_at >= STATS_EVERY:
            self._stats_at = loop.time()
            try:
                self.stats = await self.queue.stats()
            except Exception as exc:
                log.warning("queue stats failed (%s)", brief(exc))
        return self.stats

    async def stop(self, grace: float) -> int:
        """Take no more, wait ``grace`` s for handlers, hand back the rest; return how many."""
        self._stopping = True
        self._wake.set()
        if self._loop_task is not None:
            # a take stuck on an unreachable store must not hold the stop past the grace
            await asyncio.wait({self._loop_task}, timeout=grace)
            self._loop_task.cancel()
            await asyncio.gather(self._loop_task, return_exceptions=True)
        if self._jobs:
            await asyncio.wait(set(self._jobs), timeout=grace)
        cut = dict(self._jobs)
        for task in cut:
            task.cancel()
        if cut:
            await asyncio.gather(*cut, return_exceptions=True)
        await self._finishes.aclose()
        if self._renewer is not None:
            self._renewer.cancel()
            await asyncio.gather(self._renewer, return_exceptions=True)
        for job in cut.values():
            if self._held.pop(job.update_id, None) is not None:
                await self._hand_back(job)
        return len(cut)

    async def _hand_back(self, job: Job) -> None:
        try:
            await self.queue.retry(job, 0.0)  # re-deliver now rather than after the lease
        except Exception:
            log.exception("could not hand update %d back; its lease will lapse", job.update_id)

    async def _take_loop(self) -> None:
        idle = POLL_MIN
        failing = False
        while not self._stopping:
            free = self.concurrency - len(self._jobs)
            jobs: list[Job] = []
            if free > 0:
                try:
                    jobs = await self.queue.take(min(free, TAKE_BATCH), self.lease)
                except Exception as exc:  # one line per outage, not one a second
                    if not failing:
                        log.warning("taking from the queue failed (%s); retrying", brief(exc))
                    failing, idle = True, 1.0
                else:
                    if failing:
                        log.warning("taking from the queue works again")
                    failing = False
            if self._stopping:
                for job in jobs:
                    await self._hand_back(job)
                return
            for job in jobs:
                self._held[job.update_id] = job
                task = asyncio.ensure_future(self._work(job))
                self._jobs[task] = job
                task.add_done_callback(self._forget)
            if jobs:
                idle = POLL_MIN
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), idle)
            # poll often while busy (a finished update may free its chat's next one),
            # back off while idle; each take carries whatever became ready meanwhile
            idle = POLL_MIN if self._jobs or self._wake.is_set() else min(idle * 2, POLL_MAX)

    def _forget(self, task: asyncio.Task[None]) -> None:
        self._jobs.pop(task, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("queue job failed", exc_info=task.exception())
        if len(self._jobs) == self.concurrency - 1:  # a full worker has a free slot again
            self._wake.set()

    async def _work(self, job: Job) -> None:
        if job.attempt > 1:
            self.counts["redelivered"] += 1
        try:
            with delivering(UpdateDelivery(job.update_id, job.attempt)):
                await self.handle(json.loads(job.payload))
        except HandBack as back:  # no send budget within the lease: deliver it again later
            self.counts["handed_back"] += 1
            self._held.pop(job.update_id, None)
            await self.queue.retry(job, back.delay)
            return
        except Exception as exc:
            self.counts["failed"] += 1
            log.exception(
                "handler failed for queued update %d (attempt %d)", job.update_id, job.attempt
            )
            redeliver = getattr(exc, "redeliver", False)  # the store went away (docs/state.md)
            if (self.on_error == "retry" or redeliver) and job.attempt < MAX_ATTEMPTS:
                self._held.pop(job.update_id, None)
                await self.queue.retry(job, min(2.0**job.attempt, 60.0))
                return
        else:
            self.counts["handled"] += 1
        self._held.pop(job.update_id, None)
        try:
            finished = await self._finishes.submit(job)
        except Exception as exc:  # the store went away: the lease lapses, it may run again
            log.warning("update %d handled but not marked done (%s)", job.update_id, brief(exc))
            return
        if not finished:
            self.counts["lease_lost"] += 1
            log.warning(
                "update %d: lease lapsed before it finished; another worker has it", job.update_id
            )

    async def _renew_loop(self) -> None:
        period = max(self.lease / 3, 0.05)
        while True:
            await asyncio.sleep(period)
            jobs = list(self._held.values())
            try:
                lost = await self.queue.extend(jobs, self.lease)
            except Exception as exc:
                log.warning("lease renewal failed (%s)", brief(exc))
                continue
            for job in lost:
                if self._held.get(job.update_id) is job:  # not finished meanwhile
                    log.warning("update %d: lease lost while its handler ran", job.update_id)

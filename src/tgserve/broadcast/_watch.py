"""Broadcast progress for ``/metrics``: the newest jobs of one bot, read at scrape time.

A scrape reads the ids of the bot's :data:`RECENT` newest jobs and the recipients' counts
of those not known finished, in one read each. A finished job's counts never change
again, so they are kept in the process and not read again.
"""

from __future__ import annotations

import logging
import weakref
from typing import Any

from tgserve.broadcast._jobs import JobError, JobStore, Progress

log = logging.getLogger("tgserve.broadcast")

RECENT = 100  # jobs shown, newest first: a bot that broadcasts daily keeps ~3 months
_watches: weakref.WeakKeyDictionary[Any, Watch | None] = weakref.WeakKeyDictionary()


class Watch:
    """Reads the progress of one bot's recent jobs; remembers the finished ones."""

    def __init__(self, jobs: JobStore) -> None:
        self.jobs = jobs
        self._finished: dict[str, Progress] = {}

    async def read(self) -> dict[str, Progress]:
        """Each recent job's progress, newest first."""
        ids = await self.jobs.recent(RECENT)
        found = await self.jobs.progress_of([j for j in ids if j not in self._finished])
        out: dict[str, Progress] = {}
        for job in ids:
            progress = self._finished.get(job) or found.get(job)
            if progress is None:
                continue  # created a moment ago, its recipients not yet stored
            if progress.finished:
                self._finished[job] = progress
            out[job] = progress
        for job in self._finished.keys() - set(ids):
            del self._finished[job]  # no longer among the recent ones
        return out


async def progress(store: Any, bot_id: str) -> dict[str, Progress] | None:
    """The recent jobs of ``bot_id`` in ``store``; None when the store keeps no broadcasts
    (memory://, DynamoDB) or could not be read (logged; the scrape goes on without them)."""
    if store in _watches:
        watch = _watches[store]
    else:
        from tgserve.broadcast import open_jobs

        try:
            watch = Watch(open_jobs(store, bot_id))
        except JobError:
            watch = None
        _watches[store] = watch
    if watch is None:
        return None
    try:
        return await watch.read()
    except Exception as exc:
        log.warning("broadcast progress for /metrics could not be read: %s", type(exc).__name__)
        return None

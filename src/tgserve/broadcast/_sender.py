"""Running a broadcast job: each pending recipient gets the message once, at most.

A sender waits for the bot's budget as a bulk send (replies go first), claims the
recipient, sends, and records the outcome. A 429 gives the recipient back and starts
the bot's cooldown; a cooldown longer than the governor's ``wait`` stops the job
(:class:`Paused`), to be resumed later, rather than sleep through it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from tgserve._botapi import BotAPI, NetworkError, TelegramError
from tgserve.broadcast._jobs import JobStore, Progress
from tgserve.limits import Governor, OutOfBudget

log = logging.getLogger("tgserve.broadcast")
MAX_ATTEMPTS = 3  # 5xx answers for one recipient before it is recorded failed


class Paused(Exception):
    """Telegram holds the bot longer than a sender waits; resume the job later."""

    def __init__(self, job: str, seconds: float) -> None:
        super().__init__(
            f"job {job} paused: Telegram's flood control holds the bot for {seconds:.0f}s; "
            f"resume it later with --job {job}"
        )
        self.seconds = seconds


def outcome_of(error: TelegramError) -> str | None:
    """The recorded outcome of an error answer; ``None``: try the recipient again."""
    text = error.description.lower()
    if error.error_code == 403:
        return "blocked"
    if error.error_code == 400 and "chat not found" in text:
        return "not_found"
    if error.error_code == 429 or error.error_code >= 500:
        return None
    return "failed"


async def run_job(
    job: str,
    jobs: JobStore,
    bot: BotAPI,
    governor: Governor,
    spec: dict[str, Any],
    *,
    concurrency: int = 8,
    on_progress: Callable[[Progress], Any] | None = None,
) -> Progress:
    """Send the job's message to every pending recipient; return the final progress."""
    unconfirmed = await jobs.recover(job)
    if unconfirmed:
        log.warning(
            "job %s: %d recipient(s) were in flight when the last run stopped; recorded "
            "unconfirmed, not sent again",
            job,
            unconfirmed,
        )
    method, params = str(spec["method"]), dict(spec["params"])
    queue: asyncio.Queue[tuple[int, int]] = asyncio.Queue()
    for chat in await jobs.pending(job):
        queue.put_nowait((chat, 0))
    paused: list[float] = []

    async def sender() -> None:
        while not paused:
            try:
                chat, attempts = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            try:
                await governor.acquire(method, {**params, "chat_id": chat})
            except OutOfBudget as exc:
                paused.append(exc.needed)
                return
            if not await jobs.claim(job, chat):
                continue  # another broadcaster of the job has it
            try:
                await bot.call(method, chat_id=chat, **params)
            except TelegramError as error:
                outcome = outcome_of(error)
                if outcome is None and (error.error_code == 429 or attempts + 1 < MAX_ATTEMPTS):
                    await jobs.release(job, chat)
                    queue.put_nowait((chat, attempts + 1))
                    if error.error_code == 429:
                        await governor.flooded(float(error.retry_after or 1))
                    continue
                await jobs.settle(job, chat, outcome or "failed")
            except NetworkError:
                await jobs.settle(job, chat, "unconfirmed")  # it may have arrived
            else:
                await jobs.settle(job, chat, "sent")

    async def report() -> None:
        while True:
            await asyncio.sleep(0.5)
            if on_progress is not None:
                on_progress(await jobs.progress(job))

    reporter = asyncio.ensure_future(report())
    try:
        await asyncio.gather(*(sender() for _ in range(concurrency)))
    finally:
        reporter.cancel()
        await asyncio.gather(reporter, return_exceptions=True)
    progress = await jobs.progress(job)
    if on_progress is not None:
        on_progress(progress)
    if paused:
        raise Paused(job, max(paused))
    return progress

"""Update processing: dedup claim, per-chat dispatch, the ack policy, and settling the claim.

:class:`Updates` is the runtime's update half; the runtime owns its lifecycle and calls
:meth:`Updates.accept` (a webhook's update, answered by the ack mode) or
:meth:`Updates.process` (polling: handled to completion).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from tgserve._backlog import Backlog
from tgserve._bots import BotAdapter
from tgserve._config import Config
from tgserve._deliveries import UpdateDelivery, delivering
from tgserve._dispatch import ChatScheduler, chat_key
from tgserve._gate import OK, Response, error, json_response
from tgserve._store_health import StoreHealth
from tgserve._stores import Claim, QueueStore, Store
from tgserve._tally import Tally
from tgserve.limits import HandBack, scope

if TYPE_CHECKING:
    from tgserve._queueing import QueueWorker

log = logging.getLogger("tgserve.runtime")

UNSTORED = error(503, "could not store the update", (("retry-after", "1"),))
STORE_DOWN = error(
    503, "the store cannot be reached; deliver the update again", (("retry-after", "5"),)
)
BUSY = error(503, "too many pending updates", (("retry-after", "1"),))
CLOSED = error(503, "shutting down", (("retry-after", "1"),))  # held while the runtime stopped
OUT_OF_TIME = error(503, "out of time; deliver the update again", (("retry-after", "1"),))
DEADLINE_SLACK = 0.25  # seconds past a deadline to wait for a cancelled handler to let go

Settle = Callable[[int], Awaitable[object]]


@dataclasses.dataclass(slots=True)
class Outcome:
    """How one update's handling ended."""

    update_id: int
    ok: bool
    reply: Any = None
    seconds: float = 0.0
    timed_out: bool = False
    busy: bool = False  # not handled: another worker holds an unexpired claim on it
    redeliver: bool = False  # failed for want of the store: to be delivered again


class Updates:
    """Claims each update in the store, runs it in its chat's order, and settles the claim."""

    def __init__(
        self,
        adapter: BotAdapter,
        config: Config,
        store: Store,
        tally: Tally,
        *,
        host: str,
        max_pending: int,
    ) -> None:
        self.adapter = adapter
        self.config = config
        self.store = store
        self.tally = tally
        self.host = host
        self.max_pending = max_pending
        self.scheduler = ChatScheduler(config.max_concurrency)
        self.backlog = Backlog(config.max_backlog, config.backlog_wait)  # background mode
        self.worker: QueueWorker | None = None  # queue mode, when this process consumes
        self._in_flight: set[int] = set()
        self._renewer: asyncio.Task[None] | None = None
        self.store_health = StoreHealth(store, config.public()["store"])

    def start(self) -> None:
        """Begin renewing the leases of updates in a handler."""
        self._renewer = asyncio.ensure_future(self._renew_leases())

    async def stop(self, grace: float) -> int:
        """Let handlers finish within ``grace``; cancel the rest; return how many were cut."""
        self.backlog.close()  # held requests are answered at once
        cut = await self.scheduler.drain(grace)
        if self.worker is not None:
            cut += await self.worker.stop(grace)
        if self._renewer is not None:
            self._renewer.cancel()
            await asyncio.gather(self._renewer, return_exceptions=True)
        return cut

    async def accept(self, update: dict[str, Any], *, deadline: float | None = None) -> Response:
        """Dedup, dispatch and acknowledge one update by the ack mode.

        ``deadline`` (inline mode, a ``loop.time()`` instant, replacing ``inline_timeout``):
        a handler still running then is cancelled and its claim released, and the answer
        is a 503 so that Telegram delivers the update again. For hosts that freeze the
        process once they answer (AWS Lambda), where no work may outlive the request.
        """
        if self.config.ack == "queue":
            return await self._enqueue(update)
        if self.config.ack == "background":
            return await self._accept_held(update)
        if self.scheduler.pending >= self.max_pending:
            return BUSY
        try:
            claim = await self._claim(update)
        except Exception as exc:  # the store went away: Telegram delivers it again later
            self.store_health.failed(exc, f"claim of update {update['update_id']}")
            return STORE_DOWN
        self.store_health.succeeded()
        if claim is not Claim.NEW:
            return OK
        future = self._submit(update, deadline)
        if deadline is not None:
            return await self._await_by(update, future, deadline)
        try:
            outcome = await asyncio.wait_for(asyncio.shield(future), self.config.inline_timeout)
        except TimeoutError:
            log.warning(
                "update %d still running after %.1fs; answered 200, finishing in the background",
                update["update_id"],
                self.config.inline_timeout,
            )
            return OK
        return self._inline_answer(outcome)

    async def _accept_held(self, update: dict[str, Any]) -> Response:
        """Background mode: wait for room in the backlog (tgserve._backlog), claim, dispatch."""
        backlog = self.backlog
        if not (backlog.take() or await backlog.admit()):
            return CLOSED if backlog.closed else BUSY
        try:
            claim = await self._claim(update)
        except Exception as exc:  # the store went away: Telegram delivers it again later
            backlog.release()
            self.store_health.failed(exc, f"claim of update {update['update_id']}")
            return STORE_DOWN
        except BaseException:
            backlog.release()
            raise
        if not self.store_health.reachable:  # the call only matters when it comes back
            self.store_health.succeeded()
        if claim is not Claim.NEW:
            backlog.release()
            return OK
        job = functools.partial(self._handle, update)  # nobody waits for the outcome
        self.scheduler.submit(chat_key(update), job, backlog.release)
        return OK

    async def process(
        self, update: dict[str, Any], delivery: UpdateDelivery | None = None
    ) -> Outcome:
        """Dedup and handle one update to completion in its chat's order (polling);
        ``delivery`` is what the handler's ``current_delivery()`` answers."""
        claim = await self._claim(update)
        if claim is not Claim.NEW:
            return Outcome(int(update["update_id"]), True, busy=claim is Claim.BUSY)
        return await self._submit(update, delivery=delivery)

    async def timed_handle(self, update: dict[str, Any]) -> Any:
        """Queue mode's worker calls the bot through this, for the handler-time metric."""
        began = time.monotonic()
        try:
            with scope(asyncio.get_running_loop().time() + self.config.lease * 0.8) as sends:
                try:
                    reply = await self.adapter.handle(update)
                except Exception:
                    if sends.short is None:
                        raise
            if sends.short is not None:  # hand it back rather than sleep past the lease
                raise HandBack(sends.short)
            return reply
        finally:
            self.tally.observe(time.monotonic() - began)

    def _inline_answer(self, outcome: Outcome) -> Response:
        if outcome.redeliver:
            return STORE_DOWN
        if not outcome.ok and self.config.on_error == "retry":
            return error(500, "handler failed; Telegram will deliver the update again")
        if isinstance(outcome.reply, dict) and "method" in outcome.reply:
            return json_response(200, outcome.reply)
        return OK

    async def _await_by(
        self, update: dict[str, Any], future: asyncio.Future[Outcome], deadline: float
    ) -> Response:
        """Wait for an inline update until ``deadline``; past it the answer is a 503."""
        timeout = deadline - asyncio.get_running_loop().time() + DEADLINE_SLACK
        try:
            outcome = await asyncio.wait_for(asyncio.shield(future), max(timeout, 0.0))
        except TimeoutError:
            log.warning(
                "update %d did not let go at its deadline; answered 503", update["update_id"]
            )
            return OUT_OF_TIME
        return OUT_OF_TIME if outcome.timed_out else self._inline_answer(outcome)

    async def _enqueue(self, update: dict[str, Any]) -> Response:
        """Queue mode: answer 200 once the update is stored durably (a duplicate is stored)."""
        from tgserve._queueing import encode, queue_key

        assert isinstance(self.store, QueueStore)
        counts = self.tally.counts
        counts["received"] += 1
        try:
            added = await self.store.enqueue(
                int(update["update_id"]), queue_key(update), encode(update)
            )
        except Exception as exc:
            self.store_health.failed(exc, f"enqueue of update {update['update_id']}")
            return UNSTORED
        self.store_health.succeeded()
        if not added:
            counts["duplicates"] += 1
        elif self.worker is not None:
            self.worker.wake()
        return OK

    async def _claim(self, update: dict[str, Any]) -> Claim:
        update_id = int(update["update_id"])
        self.tally.counts["received"] += 1
        claim = await self.store.claim(update_id, self.config.lease)
        if claim is not Claim.NEW:
            self.tally.counts["duplicates"] += 1
            log.info("update %d is a duplicate (%s)", update_id, claim.value)
        return claim

    def _submit(
        self,
        update: dict[str, Any],
        deadline: float | None = None,
        delivery: UpdateDelivery | None = None,
    ) -> asyncio.Future[Outcome]:
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()

        async def job() -> None:
            try:
                with delivering(delivery):
                    outcome = await self._handle(update, deadline)
            except BaseException:
                future.cancel()
                raise
            future.set_result(outcome)

        self.scheduler.submit(chat_key(update), job)
        return future

    async def _handle(self, update: dict[str, Any], deadline: float | None = None) -> Outcome:
        update_id = int(update["update_id"])
        if deadline is not None and asyncio.get_running_loop().time() >= deadline:
            return await self._out_of_time(update_id, 0.0)
        self._in_flight.add(update_id)
        began = time.monotonic()
        limit = None if deadline is None else asyncio.timeout_at(deadline)
        try:
            with scope(deadline) as sends:  # replies get their budget within the deadline
                if limit is None:  # the common case; a timeout context costs ~10 us per update
                    reply = await self.adapter.handle(update)
                else:
                    async with limit:
                        reply = await self.adapter.handle(update)
            if deadline is not None and sends.short is not None:
                raise HandBack(sends.short)  # a send could not go in time: deliver again
        except Exception as exc:
            seconds = time.monotonic() - began
            if limit is not None and (limit.expired() or sends.short is not None):
                return await self._out_of_time(update_id, seconds)
            self.tally.counts["failed"] += 1
            self.tally.observe(seconds)
            log.exception(
                "handler failed for update %d after %.0f ms",
                update_id,
                seconds * 1000,
                extra=self._log_fields(update, seconds, "failed"),
            )
            redeliver = getattr(exc, "redeliver", False)  # the store went away (docs/state.md)
            if self.config.on_error == "retry" or redeliver:
                await self._settle(self.store.release, update_id)
            else:
                await self._settle(self.store.done, update_id)
            return Outcome(update_id, False, None, seconds, redeliver=redeliver)
        finally:
            self._in_flight.discard(update_id)
        seconds = time.monotonic() - began
        tally = self.tally
        tally.counts["handled"] += 1
        if tally.latency is not None:
            tally.latency.observe(seconds)
        try:  # _settle(self.store.done, ...) inlined: one coroutine less per update
            await self.store.done(update_id)
        except Exception as exc:
            self.store_health.failed(exc, f"recording update {update_id}")
        if log.isEnabledFor(logging.DEBUG):  # the fields cost more than the call when off
            log.debug(
                "update %d handled in %.1f ms",
                update_id,
                seconds * 1000,
                extra=self._log_fields(update, seconds, "handled"),
            )
        return Outcome(update_id, True, reply, seconds)

    async def _out_of_time(self, update_id: int, seconds: float) -> Outcome:
        """The deadline passed: the handler was cancelled (or never ran); release the claim."""
        self.tally.counts["timed_out"] += 1
        log.warning(
            "update %d cancelled at its deadline after %.0f ms; released for redelivery",
            update_id,
            seconds * 1000,
        )
        await self._settle(self.store.release, update_id)
        return Outcome(update_id, False, None, seconds, timed_out=True)

    def _log_fields(self, update: dict[str, Any], seconds: float, outcome: str) -> dict[str, Any]:
        key = chat_key(update)
        return {
            "update_id": update["update_id"],
            "chat_id": key[1] if key is not None and key[0] == "chat" else None,
            "host": self.host,
            "latency_ms": round(seconds * 1000, 1),
            "outcome": outcome,
        }

    async def _renew_leases(self) -> None:
        period = max(self.config.lease / 3, 0.05)
        while True:
            await asyncio.sleep(period)
            if self._in_flight:
                try:
                    await self.store.renew(list(self._in_flight), self.config.lease)
                except Exception as exc:
                    self.store_health.failed(exc, "lease renewal")

    async def _settle(self, action: Settle, update_id: int) -> None:
        """Record an update's end in the store; a store error is logged (one line), never
        raised: the claim's lease lapses and a redelivery may handle the update again."""
        try:
            await action(update_id)
        except Exception as exc:
            self.store_health.failed(exc, f"recording update {update_id}")

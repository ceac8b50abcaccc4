"""Runtime: owns the bot's lifecycle on one event loop, and every update from gate to handler."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import gc
import logging
import time
from collections import Counter
from typing import TYPE_CHECKING, Any, Literal

from tgserve.botapi import BotAPI
from tgserve.bots import BotAdapter, adapt
from tgserve.config import Config
from tgserve.dispatch import Dispatcher, chat_key
from tgserve.gate import OK, Gate, Request, Response, Update, Verdict, error, json_response
from tgserve.metrics import RuntimeMetrics
from tgserve.stores import Claim, QueueStats, QueueStore, Store, open_store

if TYPE_CHECKING:  # queue mode's worker is imported only when used: a lighter cold start
    from tgserve.queueing import QueueWorker

log = logging.getLogger("tgserve.runtime")

State = Literal["new", "starting", "running", "stopping", "stopped"]
NOT_READY = error(503, "not ready", (("retry-after", "1"),))
STOPPING = error(503, "shutting down", (("retry-after", "1"),))
UNSTORED = error(503, "could not store the update", (("retry-after", "1"),))
BUSY = error(503, "too many pending updates", (("retry-after", "1"),))
OUT_OF_TIME = error(503, "out of time; deliver the update again", (("retry-after", "1"),))
DEADLINE_SLACK = 0.25  # seconds past a deadline to wait for a cancelled handler to let go


@dataclasses.dataclass(slots=True)
class Outcome:
    """How one update's handling ended."""

    update_id: int
    ok: bool
    reply: Any = None
    seconds: float = 0.0
    timed_out: bool = False
    busy: bool = False  # not handled: another worker holds an unexpired claim on it


class Runtime:
    """Starts the bot once, dispatches updates in per-chat order, stops once with a drain.

    Everything runs on the loop that called :meth:`start` first; the runtime refuses
    to be used from another loop rather than break a client bound to this one.
    """

    def __init__(
        self,
        target: Any,
        config: Config,
        *,
        bot: Any = None,
        host: str = "asgi",
        server: bool = True,
        max_pending: int = 10_000,
        consume: bool | None = None,
    ) -> None:
        from tgserve import redact

        redact.install(config.token, config.secret_token)
        self.config = config
        self.host = host
        self.server = server
        self.max_pending = max_pending
        self.adapter: BotAdapter = adapt(target, config, bot=bot)
        self.gate = Gate(config)
        self.store: Store = open_store(
            config.store, namespace=self.adapter.bot_id, ttl=config.dedup_ttl
        )
        self.dispatcher = Dispatcher(config.max_concurrency)
        self.counts: Counter[str] = Counter()
        self.metrics = RuntimeMetrics(self) if config.metrics else None
        self.state: State = "new"
        self.loop: asyncio.AbstractEventLoop | None = None
        self._start_task: asyncio.Task[None] | None = None
        self._stop_task: asyncio.Task[None] | None = None
        self._renewer: asyncio.Task[None] | None = None
        self._in_flight: set[int] = set()
        self.worker: QueueWorker | None = None
        self.last_queue_stats: QueueStats | None = None
        if config.ack == "queue":
            if not isinstance(self.store, QueueStore):
                raise ValueError(f"ack='queue' needs a store with a queue, not {config.store!r}")
            if config.consume if consume is None else consume:
                from tgserve.queueing import QueueWorker

                self.worker = QueueWorker(
                    self.store,
                    self._timed_handle,
                    concurrency=config.max_concurrency,
                    lease=config.lease,
                    on_error=config.on_error,
                    counts=self.counts,
                )

    # lifecycle -------------------------------------------------------------

    async def start(self) -> None:
        """Start the bot once; concurrent and repeated calls wait for the same start."""
        self._bind()
        if self.state in ("stopping", "stopped"):
            raise RuntimeError("the runtime was stopped; build a new one")
        if self._start_task is None:
            self._start_task = asyncio.ensure_future(self._start())
        task = self._start_task
        try:
            await asyncio.shield(task)
        except BaseException:
            if task.done() and self._start_task is task:
                self._start_task = None  # a failed start may be tried again
                self.state = "new"
            raise

    async def _start(self) -> None:
        self.state = "starting"
        began = time.monotonic()
        await self.store.open()
        await self.adapter.startup(server=self.server)
        for hook in self.config.startup_hooks:
            await self._run_hook(hook)
        self._renewer = asyncio.ensure_future(self._renew_leases())
        if self.worker is not None:
            await self.worker.start()
        if self.config.gc_freeze:
            _freeze_gc_once()
        self.state = "running"
        log.info(
            "started %s bot on %s in %.0f ms (ack=%s, store=%s)",
            self.adapter.kind,
            self.host,
            (time.monotonic() - began) * 1000,
            self.config.ack,
            self.config.public()["store"],
        )

    async def _run_hook(self, hook: Any) -> None:
        name = getattr(hook, "__qualname__", repr(hook))
        try:
            await asyncio.wait_for(hook(), self.config.startup_timeout)
        except TimeoutError:
            log.warning(
                "start-up hook %s overran %.1fs; cancelled", name, self.config.startup_timeout
            )
        except Exception:
            log.exception("start-up hook %s failed", name)

    async def stop(self, grace: float | None = None) -> None:
        """Refuse new updates, finish in-flight ones within ``grace``, then shut the bot down."""
        if self.loop is None:
            self.state = "stopped"
            return
        self._bind()
        if self._stop_task is None:
            self._stop_task = asyncio.ensure_future(self._stop(grace))
        await asyncio.shield(self._stop_task)

    async def _stop(self, grace: float | None) -> None:
        started = self.state == "running" or self._start_task is not None
        self.state = "stopping"
        if self._start_task is not None and not self._start_task.done():
            await asyncio.gather(self._start_task, return_exceptions=True)
        grace = self.config.grace_period if grace is None else grace
        cut = await self.dispatcher.drain(grace)
        if self.worker is not None:
            cut += await self.worker.stop(grace)
        if cut:
            log.warning("stopped with %d update(s) unfinished after %.1fs grace", cut, grace)
        if self._renewer is not None:
            self._renewer.cancel()
            await asyncio.gather(self._renewer, return_exceptions=True)
        if started:
            try:
                await self.adapter.shutdown()
            except Exception:
                log.exception("bot shutdown failed")
        await self.store.close()
        self.state = "stopped"
        log.info("stopped (%s)", dict(self.counts))

    def _bind(self) -> None:
        loop = asyncio.get_running_loop()
        if self.loop is None:
            self.loop = loop
        elif self.loop is not loop:
            raise RuntimeError(
                "this tgserve runtime belongs to another event loop; "
                "one loop per process owns the bot"
            )

    async def ready(self) -> bool:
        """True when the bot is started and this loop answers."""
        await asyncio.sleep(0)
        return self.state == "running"

    # requests --------------------------------------------------------------

    async def handle(self, request: Request) -> Response:
        """Answer one HTTP request: route, check, then process or refuse it."""
        return await self.answer(request, self.gate.check(request))

    async def answer(self, request: Request, verdict: Verdict) -> Response:
        """Answer a request the gate has judged already."""
        if isinstance(verdict, Response):
            self.counts[f"rejected_{verdict.status}"] += 1
            return verdict
        if isinstance(verdict, Update):
            return await self.accept(verdict.data)
        if verdict == "healthz":
            return json_response(200, {"ok": True})
        if verdict == "readyz":
            if self.state == "new":
                await self._try_start()
            ready = await self.ready()
            return json_response(200 if ready else 503, {"ok": ready, "state": self.state})
        if verdict == "info":
            if self.state == "running":
                await self.queue_stats()
            return json_response(200, self.info())
        if self.metrics is not None:
            if self.state == "running":
                await self.queue_stats()
            exposition = self.metrics.render()
            if exposition is not None:
                return exposition
        return error(404, "metrics are not enabled")

    async def _try_start(self) -> bool:
        try:
            await self.start()
        except Exception:
            log.exception("bot start failed")
            return False
        return True

    async def accept(self, update: dict[str, Any], *, deadline: float | None = None) -> Response:
        """Dedup, dispatch and acknowledge one update by the ack mode.

        ``deadline`` (inline mode, a ``loop.time()`` instant, replacing ``inline_timeout``):
        a handler still running then is cancelled and its claim released, and the answer
        is a 503 so that Telegram delivers the update again. For hosts that freeze the
        process once they answer (AWS Lambda), where no work may outlive the request.
        """
        if self.state in ("stopping", "stopped"):
            return STOPPING
        if self.state != "running" and not await self._try_start():
            return NOT_READY
        if self.config.ack == "queue":
            return await self._enqueue(update)
        if self.dispatcher.pending >= self.max_pending:
            return BUSY
        if not await self._claim(update):
            return OK
        if self.config.ack == "background":  # nobody waits for the outcome: no future
            self.dispatcher.submit(chat_key(update), functools.partial(self._process, update))
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

    def _inline_answer(self, outcome: Outcome) -> Response:
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
        from tgserve.queueing import encode, queue_key

        assert isinstance(self.store, QueueStore)
        self.counts["received"] += 1
        try:
            added = await self.store.enqueue(
                int(update["update_id"]), queue_key(update), encode(update)
            )
        except Exception:
            log.exception("could not store update %d", update["update_id"])
            return UNSTORED
        if not added:
            self.counts["duplicates"] += 1
        elif self.worker is not None:
            self.worker.wake()
        return OK

    async def process(self, update: dict[str, Any]) -> Outcome:
        """Dedup and handle one update to completion in its chat's order (polling, workers)."""
        claim = await self._claim_as(update)
        if claim is not Claim.NEW:
            return Outcome(int(update["update_id"]), True, busy=claim is Claim.BUSY)
        return await self._submit(update)

    async def _claim(self, update: dict[str, Any]) -> bool:
        return await self._claim_as(update) is Claim.NEW

    async def _claim_as(self, update: dict[str, Any]) -> Claim:
        update_id = int(update["update_id"])
        self.counts["received"] += 1
        claim = await self.store.claim(update_id, self.config.lease)
        if claim is not Claim.NEW:
            self.counts["duplicates"] += 1
            log.info("update %d is a duplicate (%s)", update_id, claim.value)
        return claim

    def _submit(
        self, update: dict[str, Any], deadline: float | None = None
    ) -> asyncio.Future[Outcome]:
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()

        async def job() -> None:
            try:
                outcome = await self._process(update, deadline)
            except BaseException:
                future.cancel()
                raise
            future.set_result(outcome)

        self.dispatcher.submit(chat_key(update), job)
        return future

    async def _process(self, update: dict[str, Any], deadline: float | None = None) -> Outcome:
        update_id = int(update["update_id"])
        if deadline is not None and asyncio.get_running_loop().time() >= deadline:
            return await self._out_of_time(update_id, 0.0)
        self._in_flight.add(update_id)
        began = time.monotonic()
        limit = None if deadline is None else asyncio.timeout_at(deadline)
        try:
            if limit is None:  # the common case; a timeout context costs ~10 us per update
                reply = await self.adapter.handle(update)
            else:
                async with limit:
                    reply = await self.adapter.handle(update)
        except Exception:
            seconds = time.monotonic() - began
            if limit is not None and limit.expired():
                return await self._out_of_time(update_id, seconds)
            self.counts["failed"] += 1
            if self.metrics is not None:
                self.metrics.observe(seconds)
            log.exception(
                "handler failed for update %d after %.0f ms",
                update_id,
                seconds * 1000,
                extra=self._log_fields(update, seconds, "failed"),
            )
            if self.config.on_error == "retry":
                await self._settle(self.store.release, update_id)
            else:
                await self._settle(self.store.done, update_id)
            return Outcome(update_id, False, None, seconds)
        finally:
            self._in_flight.discard(update_id)
        seconds = time.monotonic() - began
        self.counts["handled"] += 1
        if self.metrics is not None:
            self.metrics.observe(seconds)
        await self._settle(self.store.done, update_id)
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
        self.counts["timed_out"] += 1
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

    async def _timed_handle(self, update: dict[str, Any]) -> Any:
        """Queue mode's worker calls the bot through this, for the handler-time metric."""
        began = time.monotonic()
        try:
            return await self.adapter.handle(update)
        finally:
            if self.metrics is not None:
                self.metrics.observe(time.monotonic() - began)

    @staticmethod
    async def _settle(action: Any, update_id: int) -> None:
        try:
            await action(update_id)
        except Exception:
            log.exception("store could not record update %d", update_id)

    async def _renew_leases(self) -> None:
        period = max(self.config.lease / 3, 0.05)
        while True:
            await asyncio.sleep(period)
            if self._in_flight:
                try:
                    await self.store.renew(list(self._in_flight), self.config.lease)
                except Exception:
                    log.exception("lease renewal failed")

    def info(self) -> dict[str, Any]:
        """What ``GET {path}`` shows: mode, state and counts; never a secret."""
        return {
            "ok": True,
            "bot": self.adapter.kind,
            "host": self.host,
            "state": self.state,
            **self.config.public(),
            "pending": self.dispatcher.pending,
            "running": self.dispatcher.running,
            "counts": dict(self.counts),
            **self._queue_info(),
            **self._botapi_info(),
        }

    def _botapi_info(self) -> dict[str, Any]:
        bot = getattr(self.adapter, "bot", None)
        return {"botapi": bot.summary()} if isinstance(bot, BotAPI) else {}

    async def queue_stats(self) -> QueueStats | None:
        """Queue mode: backlog, in-flight count and oldest age, read at most once a second."""
        if self.config.ack != "queue" or not isinstance(self.store, QueueStore):
            return None
        if self.worker is not None:
            self.last_queue_stats = await self.worker.refresh_stats()
        else:
            try:
                self.last_queue_stats = await self.store.stats()
            except Exception:
                log.exception("queue stats failed")
        return self.last_queue_stats

    def _queue_info(self) -> dict[str, Any]:
        if self.config.ack != "queue":
            return {}
        info: dict[str, Any] = {"consuming": self.worker is not None}
        stats = self.last_queue_stats
        if stats is not None:
            info |= {
                "backlog": stats.backlog,
                "in_flight": stats.in_flight,
                "oldest_age": round(stats.oldest_age, 3),
            }
        return {"queue": info}


_gc_frozen = False


def _freeze_gc_once() -> None:
    """The bot, its framework and their modules live as long as the process; frozen, the
    collector stops walking them on every full pass (docs/operations.md). Garbage is
    collected first, so none of it is kept; later runtimes of the process freeze nothing."""
    global _gc_frozen
    if not _gc_frozen:
        _gc_frozen = True
        gc.collect()
        gc.freeze()

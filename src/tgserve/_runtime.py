"""Runtime: the bot's lifecycle on one event loop; it owns every task it starts.

The runtime starts the bot once, hands updates to its :class:`~tgserve._processing.Updates`
(claim, per-chat order, ack policy), and stops once with a drain. Every host reaches it
through the request path (:mod:`tgserve._webhook`), polling included.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Literal

from tgserve._botapi import BotAPI
from tgserve._bots import BotAdapter, Target, adapt
from tgserve._config import Config
from tgserve._gate import Response, error
from tgserve._processing import Outcome, Updates
from tgserve._stores import QueueStats, QueueStore, Store, open_store
from tgserve._tally import BotAPICounts, Snapshot, Tally
from tgserve.limits._install import install as install_limits
from tgserve.state._attach import attach_state

if TYPE_CHECKING:  # queue mode's worker is imported only when used: a lighter cold start
    from tgserve._queueing import QueueWorker
    from tgserve._webhook_setup.registrar import Registrar
    from tgserve.limits import Governor

log = logging.getLogger("tgserve.runtime")

__all__ = ["Outcome", "Runtime", "State"]

State = Literal["new", "starting", "running", "stopping", "stopped"]
NOT_READY = error(503, "not ready", (("retry-after", "1"),))
STOPPING = error(503, "shutting down", (("retry-after", "1"),))


class Runtime:
    """Starts the bot once, dispatches updates in per-chat order, stops once with a drain.

    Everything runs on the loop that called :meth:`start` first; the runtime refuses
    to be used from another loop rather than break a client bound to this one.
    ``long_running``: the process serves for long (a server, a poller), as opposed to a
    function host such as Lambda; a bot adapter may start more (PTB's JobQueue) when it is.
    """

    def __init__(
        self,
        target: Target,
        config: Config,
        *,
        bot: Any = None,
        host: str = "asgi",
        long_running: bool = True,
        max_pending: int = 10_000,
        consume: bool | None = None,
    ) -> None:
        from tgserve import _redact as redact

        redact.install(config.token, config.secret_token, config.previous_secret_token)
        self.config = config
        self.host = host
        self.long_running = long_running
        self.adapter: BotAdapter = adapt(target, config, bot=bot)
        if long_running:  # several workers, each with its own memory:// store, are refused
            from tgserve._workers import refuse_several_workers

            refuse_several_workers(config, self.adapter.bot_id, host)
        self.store: Store = open_store(
            config.store, namespace=self.adapter.bot_id, ttl=config.dedup_ttl
        )
        attach_state(self.adapter, self.store, config, host)  # docs/state.md
        self.tally = Tally(timed=config.metrics)
        self.updates = Updates(
            self.adapter, config, self.store, self.tally, host=host, max_pending=max_pending
        )
        self.state: State = "new"
        self.loop: asyncio.AbstractEventLoop | None = None
        self._start_task: asyncio.Task[None] | None = None
        self._stop_task: asyncio.Task[None] | None = None
        self.governor: Governor | None = None  # Telegram's send limits (tgserve.limits)
        self.last_queue_stats: QueueStats | None = None
        self.webhook: Registrar | None = None  # with webhook_url: registers and watches it
        if config.ack == "queue":
            if not isinstance(self.store, QueueStore):
                raise ValueError(f"ack='queue' needs a store with a queue, not {config.store!r}")
            if config.consume if consume is None else consume:
                from tgserve._queueing import QueueWorker

                self.updates.worker = QueueWorker(
                    self.store,
                    self.updates.timed_handle,
                    concurrency=config.max_concurrency,
                    lease=config.lease,
                    on_error=config.on_error,
                    counts=self.tally.counts,
                )

    @property
    def counts(self) -> Counter[str]:
        """Updates and requests by outcome (``received``, ``handled``, ``rejected_401``...)."""
        return self.tally.counts

    @property
    def worker(self) -> QueueWorker | None:
        """Queue mode's worker, when this process consumes the queue."""
        return self.updates.worker

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
        self.governor = install_limits(self.adapter, self.store, self.config.limits)
        await self.adapter.startup(long_running=self.long_running)
        for hook in self.config.startup_hooks:
            await self._run_hook(hook)
        self.updates.start()
        if self.worker is not None:
            await self.worker.start()
        if self.config.webhook_url is not None:
            from tgserve._webhook_setup.hook import start_registrar

            self.webhook = await start_registrar(self.config, self.host, self.adapter)
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

    async def _run_hook(self, hook: Callable[[], Awaitable[Any]]) -> None:
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
        cut = await self.updates.stop(grace)
        if cut:
            log.warning("stopped with %d update(s) unfinished after %.1fs grace", cut, grace)
        if self.webhook is not None:
            await self.webhook.stop()  # never deleteWebhook: the processes that stay need it
        if started:
            try:
                await self.adapter.shutdown()
            except Exception:
                log.exception("bot shutdown failed")
        await self.store.close()
        self.state = "stopped"
        log.info("stopped (%s)", dict(self.counts) or "no updates")

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

    async def try_start(self) -> bool:
        """Start if need be; ``False`` (logged) when the start failed."""
        try:
            await self.start()
        except Exception:
            log.exception("bot start failed")
            return False
        return True

    # updates ---------------------------------------------------------------

    async def accept(self, update: dict[str, Any], *, deadline: float | None = None) -> Response:
        """A webhook's update: start if need be, then dedup, dispatch and answer by the ack
        mode (see :meth:`tgserve._processing.Updates.accept` for ``deadline``)."""
        if self.state != "running":
            if self.state in ("stopping", "stopped"):
                return STOPPING
            if not await self.try_start():
                return NOT_READY
        return await self.updates.accept(update, deadline=deadline)

    # what it shows -------------------------------------------------------------

    async def refresh_queue_stats(self) -> QueueStats | None:
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

    def snapshot(self) -> Snapshot:
        """This runtime's numbers now; ``info()`` and the metrics both read it."""
        scheduler, worker = self.updates.scheduler, self.worker
        queued = self.config.ack == "queue"
        bot = getattr(self.adapter, "bot", None)
        return Snapshot(
            bot=self.adapter.kind,
            host=self.host,
            state=self.state,
            counts=dict(self.tally.counts),
            pending=scheduler.pending,
            running=scheduler.running,
            in_flight=scheduler.running + (worker.in_flight if worker is not None else 0),
            latency=self.tally.latency,
            queue=self.last_queue_stats if queued else None,
            consuming=(worker is not None) if queued else None,
            botapi=BotAPICounts(dict(bot.calls), dict(bot.errors))
            if isinstance(bot, BotAPI)
            else None,
            webhook=self.webhook.info() if self.webhook is not None else None,
            backlog=self.updates.backlog.info() if self.config.ack == "background" else None,
            limits=dataclasses.replace(self.governor.stats) if self.governor else None,
        )

    def info(self) -> dict[str, Any]:
        """What ``GET {path}`` shows: mode, state and counts; never a secret."""
        return self.snapshot().info(self.config.public())


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

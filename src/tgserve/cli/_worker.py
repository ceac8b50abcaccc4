"""``tgserve worker BOT --store URL``: run the bot on queued updates until SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tgserve._config import Config, ConfigError
from tgserve._signals import stop_signals

if TYPE_CHECKING:
    from tgserve._bots import Target


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "worker", help="handle updates a queue-mode webhook stored (ack=queue)"
    )
    p.add_argument("bot", help="module:attr or path/to/file.py:attr")
    p.add_argument("--store", help="the store URL the webhook uses (else TGSERVE_STORE)")
    p.add_argument("--concurrency", type=int, help="updates at once (else TGSERVE_MAX_CONCURRENCY)")
    p.add_argument("--lease", type=float, help="seconds a silent worker holds an update")
    p.add_argument("--grace", type=float, help="seconds to finish in-flight updates on SIGTERM")
    p.add_argument("--log-level", default=None, help="else TGSERVE_LOG_LEVEL, else info")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tgserve.cli._startup import start_up

    settings = {
        "ack": "queue",
        "store": args.store,
        "max_concurrency": args.concurrency,
        "lease": args.lease,
        "grace_period": args.grace,
    }
    started = start_up(args, settings)
    if started.config.store.startswith("memory"):
        raise ConfigError("a worker needs a shared store: sqlite://, redis:// or postgresql://")
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        return runner.run(work(started.target, started.bot, started.config))


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop when installed (``tgserve[speed]``), as ``tgserve serve`` uses under uvicorn."""
    try:
        import uvloop
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


async def work(target: Target, bot: Any, config: Config) -> int:
    """Run one worker until SIGTERM or SIGINT, then drain it within the grace period."""
    from tgserve._runtime import Runtime

    runtime = Runtime(target, config, bot=bot, host="worker", long_running=False, consume=True)
    async with stop_signals() as stop:
        try:
            await runtime.start()
            await stop.wait()
        finally:
            await runtime.stop()
    return 0

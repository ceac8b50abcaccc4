"""Ctrl-C and SIGTERM inside a running loop: the one helper every long-running command uses."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Callable

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.asynccontextmanager
async def stop_signals(on_stop: Callable[[], None] | None = None) -> AsyncIterator[asyncio.Event]:
    """An event set (and ``on_stop`` called) on SIGINT or SIGTERM. The handlers stay until
    the block ends, so a second Ctrl-C during shutdown does not interrupt the clean stop.
    Off the main thread, or where the loop has no signal support, nothing is installed."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def stopped() -> None:
        stop.set()
        if on_stop is not None:
            on_stop()

    installed = []
    for sig in STOP_SIGNALS:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stopped)
            installed.append(sig)
    try:
        yield stop
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)

"""The dedicated loop thread of sync hosts: one daemon thread per process runs the bot's loop.

Sync code (a WSGI request thread) hands it coroutines with :func:`submit` and waits on
the returned :class:`concurrent.futures.Future`. The thread starts lazily on first use,
again in a forked child (gunicorn ``--preload`` forks after import; threads do not survive
a fork), and again when it died. At process exit the registered shutdown coroutines run
(the runtime's drain), then every task left is cancelled and the loop is closed on its own
thread, so no client is ever left bound to a closed loop.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import logging
import os
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

log = logging.getLogger("tgserve.loopthread")

T = TypeVar("T")
Shutdown = Callable[[], Awaitable[Any]]
PING_TIMEOUT = 1.0
EXIT_TIMEOUT = 30.0


class LoopThread:
    """One event loop running forever on one daemon thread."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self.shutdowns: list[Shutdown] = []
        self._ready = threading.Event()
        self.thread = threading.Thread(target=self._run, name="tgserve-loop", daemon=True)
        self.thread.start()
        self._ready.wait(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._ready.set)
        try:
            self.loop.run_forever()
        except BaseException:  # a callback raised SystemExit or similar: the thread is dead
            log.exception("the tgserve loop thread died")

    @property
    def alive(self) -> bool:
        """The thread runs and its loop is running (it may still be blocked)."""
        return (
            self.pid == os.getpid()
            and self.thread.is_alive()
            and self.loop.is_running()
            and not self.loop.is_closed()
        )

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        if threading.current_thread() is self.thread:
            coro.close()
            raise RuntimeError("submit() called from the loop thread itself; await instead")
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def ping(self, timeout: float = PING_TIMEOUT) -> bool:
        """True when the loop runs a no-op within ``timeout`` seconds."""
        if not self.alive:
            return False
        future = self.submit(asyncio.sleep(0))
        try:
            future.result(timeout)
        except (concurrent.futures.TimeoutError, concurrent.futures.CancelledError):
            future.cancel()
            return False
        return True

    def stop(self, timeout: float = EXIT_TIMEOUT) -> None:
        """Run the shutdowns, cancel what is left, stop and close the loop."""
        if not self.alive:
            self.bury()
            return
        future = self.submit(self._drain(timeout))
        with contextlib.suppress(Exception):
            future.result(timeout + 5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        if not self.thread.is_alive():
            self.loop.close()

    async def _drain(self, timeout: float) -> None:
        for shutdown in reversed(self.shutdowns):
            try:
                await asyncio.wait_for(shutdown(), timeout)
            except Exception:
                log.exception("shutdown at exit failed")
        self.shutdowns.clear()
        await _cancel_all()
        await self.loop.shutdown_asyncgens()
        await self.loop.shutdown_default_executor()

    def bury(self) -> None:
        """Cancel the tasks of a dead thread's loop and close it, on a short-lived thread."""
        if self.loop.is_closed() or self.loop.is_running() or self.pid != os.getpid():
            return

        def run() -> None:
            with contextlib.suppress(Exception):
                self.loop.run_until_complete(_cancel_all())
                self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

        thread = threading.Thread(target=run, name="tgserve-loop-burial", daemon=True)
        thread.start()
        thread.join(5)


async def _cancel_all() -> None:
    me = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not me]
    for task in tasks:
        task.cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    for task, result in zip(tasks, results, strict=True):
        if isinstance(result, Exception):
            log.debug("task %s ended with %r at exit", task.get_name(), result)


_lock = threading.Lock()
_current: LoopThread | None = None
_atexit_registered = False


def get() -> LoopThread:
    """This process's loop thread: started on first use, after a fork, and after it died."""
    global _current, _atexit_registered
    current = _current
    if current is not None and current.alive:
        return current
    with _lock:
        current = _current
        if current is not None and current.alive:
            return current
        if current is not None and current.pid == os.getpid():
            log.warning("the tgserve loop thread was dead; starting a new one")
            current.bury()
        _current = current = LoopThread()
        if not _atexit_registered:
            atexit.register(stop)
            _atexit_registered = True
        return current


def peek() -> LoopThread | None:
    """This process's loop thread if one was started here, without starting one."""
    current = _current
    return current if current is not None and current.pid == os.getpid() else None


def submit(coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
    """Run ``coro`` on the loop thread; wait with ``.result(timeout)``."""
    return get().submit(coro)


def run(coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
    """Run ``coro`` on the loop thread and wait for its result."""
    future = submit(coro)
    try:
        return future.result(timeout)
    except concurrent.futures.TimeoutError:
        future.cancel()
        raise


run_on_loop = run
"""``tgserve.run_on_loop(coro)``: from synchronous code (a WSGI view, a script), run a
coroutine on the process's one loop thread, the loop tgserve's WSGI host serves on."""


def alive(timeout: float = PING_TIMEOUT) -> bool:
    """True when the loop thread exists in this process and runs a no-op within ``timeout``."""
    current = peek()
    return current is not None and current.ping(timeout)


def on_exit(shutdown: Shutdown, thread: LoopThread | None = None) -> None:
    """Run ``shutdown()`` on the loop at process exit, before the loop is closed."""
    (thread or get()).shutdowns.append(shutdown)


def stop(timeout: float = EXIT_TIMEOUT) -> None:
    """Drain and close this process's loop thread (registered with :mod:`atexit`)."""
    global _current
    with _lock:
        current, _current = _current, None
    if current is not None and current.pid == os.getpid():
        current.stop(timeout)


def _after_fork_in_child() -> None:
    global _current, _lock
    _lock = threading.Lock()
    _current = None


os.register_at_fork(after_in_child=_after_fork_in_child)

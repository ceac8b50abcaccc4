"""The recording Bot API stub on a loopback socket, served by its own loop in a thread,
so that a synchronous Lambda handler (which runs its own loop) can call it."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from tgserve.testing import BotAPIStub, serve


@contextlib.contextmanager
def stub_in_thread() -> Iterator[tuple[str, BotAPIStub]]:
    ready = threading.Event()
    box: dict[str, Any] = {}

    async def main() -> None:
        stub = BotAPIStub()
        stop = asyncio.Event()
        async with serve(stub) as url:
            box.update(url=url, stub=stub, stop=stop, loop=asyncio.get_running_loop())
            ready.set()
            await stop.wait()

    def run() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:  # surfaced below
            box["error"] = exc
            ready.set()

    thread = threading.Thread(target=run, name="bot-api-stub", daemon=True)
    thread.start()
    assert ready.wait(10), "the Bot API stub did not start"
    if "error" in box:
        raise box["error"]
    try:
        yield box["url"], box["stub"]
    finally:
        box["loop"].call_soon_threadsafe(box["stop"].set)
        thread.join(10)
        assert not thread.is_alive()

"""Serve several tgserve apps behind one webhook that hands requests to each in turn.

As two replicas behind a round-robin load balancer: every update goes to the next app,
so each user's messages alternate between them. Each app has its own Runtime and its
own bot object, as separate processes would.
"""

from __future__ import annotations

import contextlib
import itertools
import secrets
from collections.abc import AsyncIterator
from typing import Any

import tgserve
from tgserve._runtime import Runtime
from tgserve.emulator import Emulator
from tgserve.emulator._api import invoke
from tgserve.testing import serve


class RoundRobin:
    """An ASGI app: each HTTP request to the next app; lifespan answered here."""

    def __init__(self, apps: list[Any]) -> None:
        self.apps = apps
        self._next = itertools.cycle(apps)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await next(self._next)(scope, receive, send)


@contextlib.asynccontextmanager
async def alternating(
    tg: Emulator, targets: list[tuple[Any, Any]], **options: Any
) -> AsyncIterator[list[Runtime]]:
    """Serve ``targets`` (bot, aiogram Bot or None) in turn behind the emulator's webhook."""
    secret = secrets.token_urlsafe(16)
    options.setdefault("token", tg.token)
    options.setdefault("api_url", tg.api_url)
    apps = [tgserve.asgi(t, bot=b, secret_token=secret, **options) for t, b in targets]
    runtimes: list[Runtime] = [app.runtime for app in apps]
    for runtime in runtimes:
        await runtime.start()
    try:
        async with serve(RoundRobin(apps)) as url:
            state = tg.bot()
            answer = await invoke(
                tg.world, state, "setWebhook", {"url": f"{url}/webhook", "secret_token": secret}
            )
            assert answer["ok"], answer
            try:
                yield runtimes
            finally:
                await invoke(tg.world, state, "deleteWebhook", {})
    finally:
        for runtime in runtimes:
            await runtime.stop()

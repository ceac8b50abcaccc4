"""A bot served by tgserve's ASGI host, with its webhook registered on an emulator."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from typing import Any, Protocol

from tgserve._inloop import InLoopServer
from tgserve.emulator._api import invoke
from tgserve.emulator._state import BotState, World


class Host(Protocol):
    """What serving a bot needs of the emulator (emulator.Emulator)."""

    world: World
    token: str

    @property
    def api_url(self) -> str: ...

    def bot(self, token: str | None = None) -> BotState: ...


@contextlib.asynccontextmanager
async def serve_bot(
    emulator: Host,
    target: Any,
    *,
    bot: Any = None,
    host: str = "127.0.0.1",
    port: int = 0,
    **options: Any,
) -> AsyncIterator[InLoopServer]:
    """Serve `target` with `tgserve.asgi` on 127.0.0.1 and point the emulator's bot at it.

    The webhook gets a random secret; plain bots get the emulator's token and URL.
    """
    from tgserve._hosts.asgi import asgi
    from tgserve._webhook_setup.update_types import allowed_updates_for

    secret = secrets.token_urlsafe(32)
    options.setdefault("token", emulator.token)
    options.setdefault("api_url", emulator.api_url)
    app = asgi(target, bot=bot, secret_token=secret, **options)
    server = InLoopServer(app, host, port, lifespan="on")
    try:
        await app.runtime.start()  # a failing start-up raises as itself, not as a failed bind
        await server.start()
    except BaseException:
        await app.runtime.stop()
        raise
    state = emulator.bot(str(options["token"]))
    try:
        url = server.url + app.runtime.config.path
        allowed = list(allowed_updates_for(app.runtime.config, app.runtime.adapter))
        params = {"url": url, "secret_token": secret, "allowed_updates": allowed}
        answer = await invoke(emulator.world, state, "setWebhook", params)
        if not answer["ok"]:
            raise RuntimeError(f"setWebhook failed: {answer['description']}")
        yield server
    finally:
        await invoke(emulator.world, state, "deleteWebhook", {})
        await server.stop()

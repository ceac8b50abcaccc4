"""The ASGI host: an ASGI 3 app for uvicorn, granian, or mounting in FastAPI/Starlette."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, overload

from tgserve._bots import Target
from tgserve._config import Config
from tgserve._deadlines import Deadlines
from tgserve._hosts.asgi_io import (
    LifespanApp,
    Receive,
    Scope,
    Send,
    request_of,
    serve_webhook,
)
from tgserve._runtime import Runtime
from tgserve._webhook import Webhook

if TYPE_CHECKING:
    from tgserve._hosts.asgi_bots import BotsASGIApp

log = logging.getLogger("tgserve.asgi")


class ASGIApp(LifespanApp):
    """Lifespan starts and stops the runtime; without lifespan (a mounted sub-app) the first
    request starts it and the loop's own shutdown stops it."""

    body_timeout = 10.0  # seconds for the whole body; a slower client gets SLOW_BODY

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.webhook = Webhook(runtime)
        self._keeper: asyncio.Task[None] | None = None
        self._deadlines = Deadlines()  # the body reads' one timer

    async def _start(self) -> None:
        await self.runtime.start()

    async def _stop(self) -> None:
        await self.runtime.stop()

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.runtime.state == "new" and self._keeper is None:
            self._keeper = asyncio.ensure_future(_stop_at_loop_exit(self.runtime))
        request = request_of(scope)
        await serve_webhook(
            self.webhook, request, receive, send, self._deadlines, self.body_timeout
        )


async def _stop_at_loop_exit(runtime: Runtime) -> None:
    """Sleeps until the loop's owner cancels the tasks left at exit (``asyncio.run`` does),
    then stops the runtime on the still-open loop."""
    try:
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        await runtime.stop(grace=0)
        raise


@overload
def asgi(target: Mapping[str, Any], /, *, bot: Any = None, **options: Any) -> BotsASGIApp: ...
@overload
def asgi(target: Target, /, *, bot: Any = None, **options: Any) -> ASGIApp: ...
def asgi(target: Any, /, *, bot: Any = None, **options: Any) -> ASGIApp | BotsASGIApp:
    """An ASGI app serving ``target`` (a plain handler, PTB Application or aiogram Dispatcher).

    A mapping of route id -> bot serves many bots, one route each (:mod:`tgserve._multibot`).
    """
    if isinstance(target, Mapping):
        from tgserve._hosts.asgi_bots import asgi_bots

        return asgi_bots(target, **options)
    config = Config.load(options)
    return ASGIApp(Runtime(target, config, bot=bot, host="asgi"))

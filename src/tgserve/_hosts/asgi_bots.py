"""The ASGI host for many bots: one app, a route per bot (:mod:`tgserve._multibot`)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from tgserve._deadlines import Deadlines
from tgserve._gate import Query, Response
from tgserve._hosts.asgi_io import (
    LifespanApp,
    Receive,
    Scope,
    Send,
    request_of,
    send_response,
    serve_webhook,
)
from tgserve._multibot import Bots, BotSpec, bot_request

log = logging.getLogger("tgserve.asgi")


class BotsASGIApp(LifespanApp):
    """Lifespan starts and stops every bot; ``app.bots.add(...)`` / ``remove(...)`` change
    the set while serving."""

    body_timeout = 10.0

    def __init__(self, bots: Bots) -> None:
        self.bots = bots
        self._deadlines = Deadlines()  # the body reads' one timer

    async def _start(self) -> None:
        await self.bots.start()

    async def _stop(self) -> None:
        await self.bots.stop()

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = request_of(scope)
        target = bot_request(self.bots, request)
        if isinstance(target, Response):
            await send_response(send, target, request.method)
        elif isinstance(target, Query):
            await send_response(send, await self.bots.answer(target), request.method)
        else:
            await serve_webhook(target, request, receive, send, self._deadlines, self.body_timeout)


def asgi_bots(bots: Mapping[str, BotSpec | Any], /, **options: Any) -> BotsASGIApp:
    """An ASGI app serving a mapping of route id -> bot (``tgserve.spec(target, **options)``
    or a bare target); ``options`` are the defaults every bot shares."""
    return BotsASGIApp(Bots(bots, options, host="asgi"))

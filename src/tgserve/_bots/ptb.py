"""A python-telegram-bot ``Application``."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import Application
from telegram.request import HTTPXRequest, RequestData

from tgserve._bots.ptb_swap import Requests, restore, swap_requests

if TYPE_CHECKING:
    from tgserve.state._ptb import PTBState
    from tgserve.state._records import StateRecords

log = logging.getLogger("tgserve.ptb")


class PTBBot:
    """Initialises the application once (and starts it on servers, so JobQueue and
    persistence run), feeds updates through ``process_update``, stops it once."""

    kind = "ptb"

    def __init__(
        self,
        app: Application[Any, Any, Any, Any, Any, Any],
        *,
        max_in_flight: int = 8,
        aiohttp: bool = True,
    ) -> None:
        self.app = app
        self.aiohttp = aiohttp  # serve a stock HTTPXRequest through aiohttp (bots/ptb_swap.py)
        self._originals: Requests | None = None
        # httpx's pool looks at every open connection on each call, so a call costs more
        # the more calls are in flight; PTB's stock request gets tgserve's bound on them.
        self.max_in_flight = max_in_flight
        self.bot_id = str(app.bot.token.split(":", 1)[0])
        self._started = False
        self.state: PTBState | None = None

    def use_state(self, records: StateRecords, *, enabled: bool, shared: bool) -> None:
        """Keep the application's data and conversations in the store (docs/state.md)."""
        if enabled:
            from tgserve.state._ptb import use_state

            self.state = use_state(self.app, records, shared=shared)

    @property
    def token(self) -> str:
        """The bot's token (for getUpdates when polling); never log it."""
        return str(self.app.bot.token)

    def allowed_updates(self) -> list[str] | None:
        """The update types the application's handlers can receive (None: any)."""
        from tgserve._bots.ptb_updates import used_update_types

        return used_update_types(self.app)

    async def startup(self, *, long_running: bool) -> None:
        if self.aiohttp and long_running and self._originals is None:  # not on Lambda: aiohttp's
            self._originals = swap_requests(self.app.bot)  # import would lengthen cold starts
        request = self.app.bot.request
        swapped = self._originals is not None and request is not self._originals[1]
        stock = type(request) is HTTPXRequest or swapped
        if stock and "do_request" not in vars(request):
            _limit_in_flight(request, self.max_in_flight)  # a subclass is left alone
        try:
            await self.app.initialize()
            if self.app.post_init:
                await self.app.post_init(self.app)
            if long_running:
                await self.app.start()
                self._started = True
        except BaseException:
            await self._close_failed_start()  # shutdown() is not called for a failed start
            raise

    async def shutdown(self) -> None:
        try:
            if self._started and self.app.running:
                await self.app.stop()
                if self.app.post_stop:
                    await self.app.post_stop(self.app)
            await self.app.shutdown()
            if self.app.post_shutdown:
                await self.app.post_shutdown(self.app)
        finally:
            vars(self.app.bot.request).pop("do_request", None)  # a restart binds a new one
            if self._originals is not None:
                restore(self.app.bot, self._originals)
                self._originals = None

    async def _close_failed_start(self) -> None:
        try:
            if self.app.running:
                await self.app.stop()
            await self.app.shutdown()  # closes the bot's requests, the swapped ones included
            for request in {id(r): r for r in self.app.bot._request}.values():
                await request.shutdown()  # PTB skips that when initialize() itself failed
        except Exception:
            log.exception("closing the PTB application after its failed start failed")
        finally:
            vars(self.app.bot.request).pop("do_request", None)
            if self._originals is not None:
                restore(self.app.bot, self._originals)
                self._originals = None

    async def handle(self, update: dict[str, Any]) -> Any:
        obj = Update.de_json(update, self.app.bot)
        if self.state is None:
            await self._process(obj)
        else:
            await self.state.around(obj, self._process)
        return None

    async def _process(self, update: Update) -> None:
        insert = getattr(self.app.bot, "insert_callback_data", None)
        if insert is not None:  # as PTB's own updater does: buttons get their data back
            insert(update)
        await self.app.process_update(update)


def _limit_in_flight(request: HTTPXRequest, limit: int) -> None:
    """Let at most ``limit`` calls through ``request`` at once; the rest wait their turn.

    File uploads and downloads go straight through, so a large file never holds up replies.
    """
    turns = asyncio.Semaphore(limit)
    send = type(request).do_request

    async def do_request(
        url: str, method: str, request_data: RequestData | None = None, **kwargs: Any
    ) -> tuple[int, bytes]:
        if method != "POST" or (request_data is not None and request_data.contains_files):
            return await send(request, url, method, request_data, **kwargs)
        async with turns:
            return await send(request, url, method, request_data, **kwargs)

    request.do_request = do_request  # type: ignore[method-assign, assignment]

"""The polling host: getUpdates long polling, at-least-once, one poller per bot by a lock.

The offset is advanced only after a batch was handled, so a crash repeats a batch rather
than loses it (the store's dedup makes the repeat harmless). SIGINT and SIGTERM finish the
current batch, confirm it to Telegram and stop the runtime.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import Iterable
from typing import Any

from tgserve.botapi import BotAPI, NetworkError, TelegramError
from tgserve.bots import Target
from tgserve.config import Config
from tgserve.dispatch import chat_key
from tgserve.locks import open_lock
from tgserve.locks.base import Lock
from tgserve.locks.keeper import LockKeeper
from tgserve.runtime import Runtime

log = logging.getLogger("tgserve.polling")

BACKOFF_START = 0.5
BACKOFF_MAX = 30.0


class PollingError(RuntimeError):
    """Polling cannot go on (a refused token, a webhook in the way); the message says why."""


class Poller:
    """Runs getUpdates until :meth:`stop`; ``run`` returns after the graceful end."""

    def __init__(
        self,
        runtime: Runtime,
        api: BotAPI,
        *,
        timeout: int = 30,
        limit: int = 100,
        delete_webhook: bool = False,
        keeper_lock: Lock | None = None,
    ) -> None:
        self.runtime = runtime
        self.api = api
        self.timeout = timeout
        self.limit = limit
        self.delete_webhook = delete_webhook
        self.offset: int | None = None
        self.batches = 0
        self._stop = asyncio.Event()
        self._interrupt = asyncio.Event()
        self.keeper = LockKeeper(keeper_lock, self._interrupt.set) if keeper_lock else None

    def stop(self) -> None:
        """Finish the current batch, confirm it, and end :meth:`run`."""
        self._stop.set()
        self._interrupt.set()

    async def run(self) -> None:
        await self.runtime.start()
        try:
            await self._loop()
        finally:
            await self._commit()
            await self.runtime.stop()
            if self.keeper is not None:
                await self.keeper.release()
            await self.api.close()

    async def _loop(self) -> None:
        backoff = BACKOFF_START
        while not self._stop.is_set():
            keeper = self.keeper
            if keeper is not None and not keeper.held and not await keeper.acquire(self._stop):
                return
            self._interrupt.clear()
            if self._stop.is_set():
                return
            try:
                updates = await self._fetch()
            except NetworkError as exc:
                log.warning("getUpdates failed (%s); retrying in %.1fs", exc, backoff)
                await self._pause(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)
                continue
            except TelegramError as exc:
                backoff = await self._refused(exc, backoff)
                continue
            backoff = BACKOFF_START
            if updates is None:
                continue  # interrupted: stopping, or the lock was lost
            if updates:
                await self._handle(updates)

    async def _fetch(self) -> list[dict[str, Any]] | None:
        fetch = asyncio.ensure_future(
            self.api.call("getUpdates", offset=self.offset, timeout=self.timeout, limit=self.limit)
        )
        interrupted = asyncio.ensure_future(self._interrupt.wait())
        try:
            await asyncio.wait({fetch, interrupted}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            interrupted.cancel()
            if not fetch.done():
                fetch.cancel()  # unconfirmed updates come again: nothing is lost
            await asyncio.gather(fetch, interrupted, return_exceptions=True)
        if fetch.cancelled():
            return None
        result = fetch.result()
        return [u for u in result if isinstance(u, dict)] if isinstance(result, list) else []

    async def _refused(self, exc: TelegramError, backoff: float) -> float:
        code, text = exc.error_code, exc.description.lower()
        if code in (401, 404):
            raise PollingError(
                f"the Bot API refused the bot token ({code} {exc.description}); "
                "check TELEGRAM_BOT_TOKEN"
            )
        if code == 409 and "webhook" in text:
            if not self.delete_webhook:
                raise PollingError(
                    "a webhook is set for this bot, so getUpdates cannot run; "
                    "delete it with --delete-webhook (poll(..., delete_webhook=True))"
                )
            await self.api.call("deleteWebhook")
            log.warning("deleted the bot's webhook to poll instead")
            return BACKOFF_START
        if code == 409:
            log.warning(
                "another getUpdates poller is running for this bot; retrying in %.1fs", backoff
            )
        elif code == 429 and exc.retry_after is not None:
            log.warning("flood control: waiting %.0fs as Telegram asks", exc.retry_after)
            await self._pause(float(exc.retry_after))
            return backoff
        else:
            log.warning("getUpdates failed (%s); retrying in %.1fs", exc, backoff)
        await self._pause(backoff)
        return min(backoff * 2, BACKOFF_MAX)

    async def _handle(self, updates: list[dict[str, Any]]) -> None:
        """Handle a batch (chats concurrently, each chat in order), then advance the offset
        to after it, or to the first update that is still claimed elsewhere."""
        held_back: list[int] = []

        async def chat(items: list[dict[str, Any]]) -> None:
            for update in items:
                try:
                    outcome = await self.runtime.process(update)
                except Exception:
                    log.exception("could not process update %s", update.get("update_id"))
                    held_back.append(int(update["update_id"]))
                    return
                if outcome.busy:
                    held_back.append(outcome.update_id)
                    return

        await asyncio.gather(*(chat(items) for items in _by_chat(updates)))
        self.batches += 1
        if held_back:
            self.offset = max(min(held_back), self.offset or 0) or None
            log.info("update %d is claimed elsewhere; polling it again shortly", min(held_back))
            await self._pause(min(1.0, max(self.runtime.config.lease / 4, 0.05)))
            return
        self.offset = max(int(u["update_id"]) for u in updates) + 1

    async def _commit(self) -> None:
        """Confirm the handled updates to Telegram (a getUpdates that returns at once)."""
        if self.offset is None:
            return
        try:
            await asyncio.wait_for(
                self.api.call("getUpdates", offset=self.offset, timeout=0, limit=1), 10
            )
        except Exception as exc:
            log.info("could not confirm the offset at stop (%s); the batch may repeat", exc)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)


def _by_chat(updates: Iterable[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    groups: dict[Any, list[dict[str, Any]]] = {}
    for update in updates:
        key = chat_key(update) or ("update", update.get("update_id"))
        groups.setdefault(key, []).append(update)
    return list(groups.values())


def bot_token(runtime: Runtime) -> str:
    """The token getUpdates runs with: the option, else the PTB or aiogram bot's own."""
    token = runtime.config.token or getattr(runtime.adapter, "token", None)
    if not token:
        raise PollingError("polling needs the bot token: set TELEGRAM_BOT_TOKEN or pass token=...")
    return str(token)


async def serve_polling(
    runtime: Runtime,
    *,
    delete_webhook: bool = False,
    lock: str | None = None,
    timeout: int = 30,
) -> None:
    """Poll until SIGINT or SIGTERM (when on the main thread), on the running loop."""
    api = BotAPI(bot_token(runtime), runtime.config.api_url, timeout=timeout + 15, max_retries=0)
    lock_url = lock or runtime.config.lock or "file://"
    keeper_lock = None if lock_url == "none" else open_lock(lock_url, runtime.adapter.bot_id)
    poller = Poller(
        runtime, api, timeout=timeout, delete_webhook=delete_webhook, keeper_lock=keeper_lock
    )
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    handled = threading.current_thread() is threading.main_thread()
    if handled:
        for sig in signals:
            loop.add_signal_handler(sig, poller.stop)
    try:
        await poller.run()
    finally:
        if handled:
            for sig in signals:
                loop.remove_signal_handler(sig)


def poll(
    target: Target,
    /,
    *,
    bot: Any = None,
    delete_webhook: bool = False,
    lock: str | None = None,
    poll_timeout: int = 30,
    **options: Any,
) -> None:
    """Serve ``target`` by long polling until SIGINT/SIGTERM; blocks like ``uvicorn.run``.

    ``lock``: ``file://[/path]`` (default), ``redis://...``, ``postgresql://...`` (each takes
    ``?lease=SECONDS``), or ``none``. Raises :class:`PollingError` when polling cannot go on.
    """
    config = Config.load(options)

    async def main() -> None:
        runtime = Runtime(target, config, bot=bot, host="polling")
        await serve_polling(runtime, delete_webhook=delete_webhook, lock=lock, timeout=poll_timeout)

    asyncio.run(main())

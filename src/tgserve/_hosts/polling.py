"""The polling host: getUpdates long polling, at-least-once, one poller per bot by a lock.

The offset is advanced only after a batch was handled, so a crash repeats a batch rather
than loses it (the store's dedup makes the repeat harmless). SIGINT and SIGTERM finish the
current batch, confirm it to Telegram and stop the runtime.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from typing import Any

from tgserve._botapi import BotAPI, NetworkError, TelegramError
from tgserve._bots import Target
from tgserve._config import Config
from tgserve._deliveries import UpdateDelivery
from tgserve._dispatch import chat_key
from tgserve._locks import open_lock
from tgserve._locks.base import Lock
from tgserve._locks.keeper import LockKeeper
from tgserve._processing import Outcome
from tgserve._runtime import Runtime
from tgserve._signals import stop_signals
from tgserve._webhook import Webhook
from tgserve._webhook_setup.update_types import allowed_updates_for

log = logging.getLogger("tgserve.polling")

BACKOFF_START = 0.5
BACKOFF_MAX = 30.0
MAX_ATTEMPTS = 5  # with on_error="retry", as queue mode (tgserve._queueing.MAX_ATTEMPTS)


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
        self.webhook = Webhook(runtime)  # the one request path's polling steps
        self.api = api
        self.timeout = timeout
        self.limit = limit
        self.delete_webhook = delete_webhook
        self.offset: int | None = None
        self.batches = 0
        self._attempts: dict[int, int] = {}  # failed attempts of updates to retry
        self._stop = asyncio.Event()
        self._interrupt = asyncio.Event()
        self.keeper = LockKeeper(keeper_lock, self._interrupt.set) if keeper_lock else None
        self.allowed_updates = list(allowed_updates_for(runtime.config, runtime.adapter))

    def stop(self) -> None:
        """Finish the current batch, confirm it, and end :meth:`run`."""
        self._stop.set()
        self._interrupt.set()

    async def run(self) -> None:
        await self.runtime.start()
        try:
            await self._loop()
        finally:
            if self.keeper is None or self.keeper.held:  # else the holder's poll would get 409
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
            fence = keeper.lock.fence if keeper is not None else None  # the holder's, now
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
                await self._handle(updates, fence)

    async def _fetch(self) -> list[dict[str, Any]] | None:
        fetch = asyncio.ensure_future(
            self.api.call(
                "getUpdates",
                offset=self.offset,
                timeout=self.timeout,
                limit=self.limit,
                allowed_updates=self.allowed_updates,
            )
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
        return self.webhook.polled(fetch.result())

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

    async def _handle(self, updates: list[dict[str, Any]], fence: int | None = None) -> None:
        """Handle a batch (chats concurrently, each chat in order), then advance the offset
        to after it, or to the first update that is claimed elsewhere or to be retried.
        ``fence``: the lock's fencing token at the fetch, for ``current_delivery()``."""
        held_back: list[int] = []

        async def chat(items: list[dict[str, Any]]) -> None:
            for update in items:
                update_id = int(update["update_id"])
                attempt = self._attempts.get(update_id, 0) + 1
                delivery = UpdateDelivery(update_id, attempt, fence)
                try:
                    outcome = await self.webhook.update(update, delivery)
                except Exception:
                    log.exception("could not process update %s", update_id)
                    held_back.append(update_id)
                    return
                if outcome.busy or self._retries(outcome):
                    held_back.append(outcome.update_id)
                    return  # the chat's later updates wait behind it: its order holds

        await asyncio.gather(*(chat(items) for items in _by_chat(updates)))
        self.batches += 1
        if held_back:
            self.offset = max(min(held_back), self.offset or 0) or None
            log.info("update %d is held back; polling it again shortly", min(held_back))
            await self._pause(min(1.0, max(self.runtime.config.lease / 4, 0.05)))
            return
        self.offset = max(max(int(u["update_id"]) for u in updates) + 1, self.offset or 0)

    def _retries(self, outcome: Outcome) -> bool:
        """``on_error="retry"``: a failed update is fetched and handled again, at most
        ``MAX_ATTEMPTS`` times in all, as Telegram redelivers a webhook's 500."""
        if outcome.ok or self.runtime.config.on_error != "retry":
            self._attempts.pop(outcome.update_id, None)
            return False
        attempt = self._attempts.get(outcome.update_id, 0) + 1
        if attempt >= MAX_ATTEMPTS:
            self._attempts.pop(outcome.update_id, None)
            log.error("update %d failed %d times; dropped", outcome.update_id, attempt)
            return False
        self._attempts[outcome.update_id] = attempt
        return True

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
    async with stop_signals(poller.stop):
        await poller.run()


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

"""Webhook delivery as Telegram does it: per-chat order, max_connections, retries."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

import httpx

from tgserve._redact import redact
from tgserve.emulator._errors import Dropped
from tgserve.emulator._params import read_body
from tgserve.emulator._state import JSON, BotState, PendingUpdate, Webhook, World

log = logging.getLogger("tgserve.emulator")
MAX_DELAY = 60.0
NOT_IN_REPLY = frozenset({"setwebhook", "deletewebhook", "close", "logout"})

Invoker = Callable[[World, BotState, str, Mapping[str, Any]], Awaitable[JSON]]
"""Runs one Bot API method (``api.invoke``): how a webhook's answer is executed."""


class WebhookPusher:
    """Pushes one bot's pending updates to its webhook URL."""

    def __init__(self, world: World, bot: BotState, invoke: Invoker) -> None:
        self.world = world
        self.bot = bot
        self.invoke = invoke
        self.client = httpx.AsyncClient(trust_env=False)
        self._wake = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        self._runner = asyncio.create_task(self._run(), name="tgserve-emulator-delivery")

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        tasks = [t for t in (self._runner, *self._tasks) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for update in self.bot.updates:
            update.in_flight = False
        await self.client.aclose()

    async def _run(self) -> None:
        while True:
            self._schedule()
            await self._wake.wait()
            self._wake.clear()

    def _schedule(self) -> None:
        hook = self.bot.webhook
        if hook is None:
            return
        busy = {u.chat_key for u in self.bot.updates if u.in_flight}
        running = sum(1 for u in self.bot.updates if u.in_flight)
        for update in self.bot.updates:
            if update.in_flight or update.chat_key in busy:
                continue
            busy.add(update.chat_key)
            if running >= hook.max_connections:
                break
            update.in_flight = True
            running += 1
            task = asyncio.create_task(self._deliver(update))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _deliver(self, update: PendingUpdate) -> None:
        attempt = 0
        try:
            while (hook := self.bot.webhook) is not None:
                error, retry_after = await self._post(hook, update)
                if error is None:
                    self._forget(update)
                    return
                self.bot.last_error_date = int(time.time())
                self.bot.last_error_message = error
                if time.monotonic() - update.created > self.world.scaled(self.world.max_update_age):
                    self._forget(update)
                    return
                if retry_after is not None:
                    delay = float(retry_after)
                else:
                    delay = 0.0 if attempt == 0 else min(2.0 ** (attempt - 1), MAX_DELAY)
                attempt += 1
                await asyncio.sleep(self.world.scaled(delay))
            update.in_flight = False
        finally:
            self.wake()

    def _forget(self, update: PendingUpdate) -> None:
        if update in self.bot.updates:
            self.bot.updates.remove(update)

    async def _post(self, hook: Webhook, update: PendingUpdate) -> tuple[str | None, int | None]:
        headers = {"content-type": "application/json"}
        if hook.secret_token:
            headers["x-telegram-bot-api-secret-token"] = hook.secret_token
        timed_out = self.world.faults.take_webhook_timeout()
        try:
            response = await self.client.post(
                hook.url,
                content=json.dumps(update.payload).encode(),
                headers=headers,
                timeout=self.world.scaled(self.world.webhook_timeout),
            )
        except httpx.TimeoutException:
            return "Read timeout expired", None
        except httpx.ConnectError:
            return "Connection refused", None
        except httpx.HTTPError:
            return "Connection reset by peer", None
        if timed_out:
            return "Read timeout expired", None
        if not 200 <= response.status_code < 300:
            after = response.headers.get("retry-after", "")
            retry_after = int(after) if after.isdigit() else None
            return (
                f"Wrong response from the webhook: {response.status_code} {response.reason_phrase}"
            ), retry_after
        try:
            await self._reply(response)
        except Exception as error:  # a bad reply body is the bot's problem, not delivery's
            log.warning("webhook reply ignored: %s", redact(str(error)))
        return None, None

    async def _reply(self, response: httpx.Response) -> None:
        """Execute a method carried in the webhook's answer, as Telegram does."""
        values = await _reply_params(response)
        name = str(values.pop("method", "") or "")
        if not name or name.lower().startswith("get") or name.lower() in NOT_IN_REPLY:
            return
        try:
            answer = await self.invoke(self.world, self.bot, name, values)
        except Dropped:
            return
        if not answer.get("ok"):
            log.info("webhook reply %s failed: %s", name, redact(str(answer.get("description"))))


async def _reply_params(response: httpx.Response) -> dict[str, Any]:
    header = response.headers.get("content-type", "")
    ctype = header.lower()
    body = response.content
    if not body.strip():
        return {}
    if ctype.startswith("application/json"):
        try:
            data = json.loads(body)
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
    if ctype.startswith("application/x-www-form-urlencoded"):
        return dict(parse_qsl(body.decode(errors="replace")))
    if ctype.startswith("multipart/form-data"):
        return await read_body(header, body)
    return {}

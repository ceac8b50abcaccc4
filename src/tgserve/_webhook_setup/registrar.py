"""The registrar: at start one process (the holder of the webhook lock on the store) reads
``getWebhookInfo`` and calls ``setWebhook`` only when the webhook differs from the options;
it then reads ``getWebhookInfo`` at most once per ``check_every`` for the health numbers.

It never calls ``deleteWebhook``: a stopping process (a blue-green deploy, a scale-in)
leaves the webhook to the processes that stay.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import logging
import time
from typing import Any

from tgserve._botapi import BotAPI, NetworkError, TelegramError
from tgserve._config import Config
from tgserve._locks import Lock
from tgserve._update_types import ALL_UPDATE_TYPES, NOT_BY_DEFAULT
from tgserve._webhook_setup.health import WebhookHealth
from tgserve._webhook_setup.ledger import Ledger, Record, open_leader_lock, open_ledger

log = logging.getLogger("tgserve.webhook")

CHECK_EVERY = 60.0  # seconds between getWebhookInfo reads: Telegram's numbers change slowly
MIN_SET_INTERVAL = 1.0  # seconds between two setWebhook calls for one bot (Telegram's limit)
TELEGRAM_MAX_CONNECTIONS = 40


@dataclasses.dataclass(frozen=True, slots=True)
class Wanted:
    """The webhook the options describe."""

    url: str
    allowed_updates: tuple[str, ...]
    max_connections: int | None
    secret: str  # a fingerprint, never the secret

    def params(self, secret: str | None) -> dict[str, Any]:
        params: dict[str, Any] = {"url": self.url, "allowed_updates": list(self.allowed_updates)}
        if secret:
            params["secret_token"] = secret
        if self.max_connections is not None:
            params["max_connections"] = self.max_connections
        return params


def fingerprint(bot_id: str, secret: str | None) -> str:
    """A digest that tells two secrets apart and gives neither away (secrets are random)."""
    if not secret:
        return "none"
    return hashlib.sha256(f"tgserve-webhook\0{bot_id}\0{secret}".encode()).hexdigest()[:32]


def differences(info: dict[str, Any], wanted: Wanted, record: Record | None) -> list[str]:
    """What differs between Telegram's webhook (and the ledger's secret) and ``wanted``."""
    out: list[str] = []
    if info.get("url", "") != wanted.url:
        out.append("url")
    given = info.get("allowed_updates")
    current = set(given) if given else set(ALL_UPDATE_TYPES) - NOT_BY_DEFAULT
    if current != set(wanted.allowed_updates):
        out.append("allowed_updates")
    limit = int(info.get("max_connections") or TELEGRAM_MAX_CONNECTIONS)
    if wanted.max_connections is not None and limit != wanted.max_connections:
        out.append("max_connections")
    if record is None or record.get("secret") != wanted.secret or record.get("url") != wanted.url:
        out.append("secret")
    return out


class Registrar:
    """Keeps the bot's webhook as the options say; :meth:`start` waits for the first pass
    (within ``wait``), the rest runs as one tracked task until :meth:`stop`."""

    def __init__(
        self,
        config: Config,
        *,
        bot_id: str,
        token: str,
        allowed_updates: tuple[str, ...],
        check_every: float = CHECK_EVERY,
    ) -> None:
        assert config.webhook_url is not None
        self.config = config
        self.bot_id = bot_id
        self.secret = config.secret_token
        self.wanted = Wanted(
            config.webhook_url,
            allowed_updates,
            config.webhook_max_connections,
            fingerprint(bot_id, config.secret_token),
        )
        self.check_every = check_every
        self.api = BotAPI(token, config.api_url, max_retries=3, max_in_flight=1)
        self.lock: Lock = open_leader_lock(config.store, bot_id)
        self.lock.lease = max(3 * check_every, 1.0)
        self.ledger: Ledger = open_ledger(config.store, bot_id)
        self.health = WebhookHealth()
        self.leader = False
        self.outcome = "pending"  # set | unchanged | not leader | failed: ...
        self.calls = 0  # setWebhook calls this process made
        self._reconciled = False
        self._said_not_leader = False
        self._first_pass = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self, wait: float = 10.0) -> None:
        self._task = asyncio.ensure_future(self._run())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._first_pass.wait(), wait)
        if not self._first_pass.is_set():
            log.warning("webhook registration still running after %.0fs; continuing", wait)

    async def stop(self) -> None:
        """Stop watching and let go of the lock; the webhook stays as it is."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.lock.release()  # only the holder's lock is let go; closes the connection
        self.leader = False
        with contextlib.suppress(Exception):
            await self.ledger.close()
        await self.api.close()

    def info(self) -> dict[str, Any]:
        """What ``GET {path}`` shows under ``webhook``."""
        return {
            "url": self.wanted.url,
            "leader": self.leader,
            "registration": self.outcome,
            "allowed_updates": list(self.wanted.allowed_updates),
            "telegram": self.health.summary(),
        }

    async def _run(self) -> None:
        while True:
            try:
                await self._tick()
            except (NetworkError, TelegramError, OSError) as exc:
                self.outcome = f"failed: {exc}"
                log.warning(
                    "webhook check failed (%s); trying again in %.0fs", exc, self.check_every
                )
            except Exception as exc:  # a store that went away, a driver's own error
                self.outcome = f"failed: {type(exc).__name__}"
                log.warning(
                    "webhook check failed (%s); trying again in %.0fs",
                    type(exc).__name__,
                    self.check_every,
                )
            self._first_pass.set()
            await asyncio.sleep(self.check_every)

    async def _tick(self) -> None:
        if self.leader and not await self.lock.renew():
            self.leader = False
            log.warning("webhook: lost the registrar lock; another process takes over")
        if not self.leader:
            self.leader = await self.lock.acquire()
            if not self.leader:
                self.outcome = "not leader"
                if not self._said_not_leader:
                    self._said_not_leader = True
                    log.info("webhook: another process registers it (holds the lock); skipped")
                return
        info = await self.api.call("getWebhookInfo")
        self.health.update(info)
        if not self._reconciled and isinstance(info, dict):
            await self._reconcile(info)

    async def _reconcile(self, info: dict[str, Any]) -> None:
        record = await self.ledger.get()
        differ = differences(info, self.wanted, record)
        if not differ:
            self._reconciled = True
            self.outcome = "unchanged"
            log.info("webhook is set as configured; no call")
            return
        last = float((record or {}).get("set_at") or 0.0)
        wait = last + MIN_SET_INTERVAL - time.time()
        if wait > 0:
            await asyncio.sleep(min(wait, MIN_SET_INTERVAL))
        await self.api.call("setWebhook", **self.wanted.params(self.secret))
        self.calls += 1
        await self.ledger.put(
            {"url": self.wanted.url, "secret": self.wanted.secret, "set_at": time.time()}
        )
        self._reconciled = True
        self.outcome = "set"
        log.info(
            "webhook set to %s (%s differed; %d update types)",
            self.wanted.url,
            ", ".join(differ),
            len(self.wanted.allowed_updates),
        )
        self.health.update(await self.api.call("getWebhookInfo"))

"""BotAPI: a small async Bot API client on httpx, for plain bots and tgserve's own calls."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tgserve import _jsonfast as jsonfast
from tgserve import _redact as redact
from tgserve._slots import Slots
from tgserve._transport import FileSpec, Kind, Lost, Unsent, open_transport

if TYPE_CHECKING:
    import httpx

    from tgserve.limits import Governor

log = logging.getLogger("tgserve.botapi")

_SAFE_TO_REPEAT = ("get",)  # methods that change nothing may be retried after a read error


class TelegramError(Exception):
    """The Bot API answered ``ok: false``."""

    def __init__(
        self, method: str, error_code: int, description: str, retry_after: float | None = None
    ) -> None:
        super().__init__(f"{method}: {error_code} {redact.redact(description)}")
        self.method = method
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after


class NetworkError(Exception):
    """The Bot API could not be reached or did not answer; the message never holds the URL."""


class BotAPI:
    """``await bot.call("sendMessage", chat_id=1, text="hi")`` returns the ``result``.

    Retries, within ``max_retries``: 429 after ``retry_after``; 5xx and connection
    errors with exponential backoff (read errors only for ``get*`` methods, which
    change nothing). At most ``max_in_flight`` requests are sent at once; the rest
    wait their turn here, where waiting is cheap (httpx's pool walks every waiting
    request and pooled connection on each request and answer). ``http``: ``aiohttp``,
    ``httpx``, or ``auto`` (aiohttp where installed, except on AWS Lambda; see
    :mod:`tgserve._transport`); a given httpx ``client`` is used as it is. The HTTP
    client is created on first use, on the running loop, and kept until :meth:`close`.
    """

    def __init__(
        self,
        token: str,
        api_url: str = "https://api.telegram.org",
        *,
        timeout: float = 30.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        max_retry_after: float = 60.0,
        max_in_flight: int = 8,
        http: Kind = "auto",
        client: httpx.AsyncClient | None = None,
    ) -> None:
        if not token:
            raise ValueError("BotAPI needs a token (TELEGRAM_BOT_TOKEN or token=...)")
        redact.install(token)
        self._token = token
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self.max_in_flight = max_in_flight
        self._slots = Slots(max_in_flight)
        self._transport = open_transport(http, timeout, max_in_flight, client)
        self.calls: Counter[str] = Counter()  # requests sent, by method (tgserve._tally)
        self.errors: Counter[tuple[str, str]] = Counter()  # (method, code or "network")
        self.governor: Governor | None = None  # Telegram's send limits; the runtime sets it

    @property
    def id(self) -> int | None:
        """The bot's numeric id, the part of the token before the colon."""
        head = self._token.split(":", 1)[0]
        return int(head) if head.isdigit() else None

    @property
    def token(self) -> str:
        """The bot token (never log it)."""
        return self._token

    def __repr__(self) -> str:
        return f"BotAPI(id={self.id}, api_url={self.api_url!r})"

    def file_url(self, file_path: str) -> str:
        """Where a file from ``getFile`` downloads from (holds the token: never log it)."""
        return f"{self.api_url}/file/bot{self._token}/{file_path}"

    async def call(
        self, method: str, /, files: Mapping[str, FileSpec] | None = None, **params: Any
    ) -> Any:
        """Call a Bot API method; ``files`` uploads as multipart. Returns ``result``."""
        url = f"{self.api_url}/bot{self._token}/{method}"
        attempt = 0
        while True:
            if self.governor is not None:
                await self.governor.acquire(method, params)
            self.calls[method] += 1
            slots = self._slots
            if not slots.take():
                await slots.wait()
            answer: tuple[int, str, bytes] | Unsent | Lost
            try:
                answer = await self._transport.post(
                    url, {k: v for k, v in params.items() if v is not None}, files
                )
            except (Unsent, Lost) as failure:
                answer = failure
            finally:
                slots.release()
            if isinstance(answer, Unsent | Lost):
                self.errors[method, "network"] += 1
                retryable = isinstance(answer, Unsent) or method.lower().startswith(_SAFE_TO_REPEAT)
                if not retryable or attempt >= self.max_retries:
                    raise NetworkError(f"{method}: {answer}") from None
                delay = self.backoff * 2**attempt
            else:
                status, reason, body = answer
                payload = _json(status, body)
                if payload.get("ok") is True:
                    return payload.get("result")
                code = int(payload.get("error_code") or status)
                self.errors[method, str(code)] += 1
                description = str(payload.get("description") or reason)
                parameters = payload.get("parameters") or {}
                retry_after = parameters.get("retry_after")
                error = TelegramError(method, code, description, retry_after)
                if attempt >= self.max_retries:
                    raise error
                if code == 429 and retry_after is not None and self.governor is not None:
                    await self.governor.flooded(float(retry_after))  # acquire waits it out
                    delay = 0.0
                elif (
                    code == 429 and retry_after is not None and retry_after <= self.max_retry_after
                ):
                    delay = float(retry_after)
                elif code >= 500:
                    delay = self.backoff * 2**attempt
                else:
                    raise error
            attempt += 1
            log.warning("%s failed, retry %d in %.2fs", method, attempt, delay)
            await asyncio.sleep(delay)

    async def close(self) -> None:
        """Close the HTTP client, if this object created it."""
        await self._transport.close()
        self._slots = Slots(self.max_in_flight)


def _json(status: int, body: bytes) -> dict[str, Any]:
    try:
        payload = jsonfast.loads(body)
    except (ValueError, RecursionError):
        payload = None
    if isinstance(payload, dict):
        return payload
    return {"ok": False, "error_code": status, "description": "not a Bot API answer"}

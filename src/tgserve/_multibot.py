"""Many bots in one deployment: one route, secret, runtime and store namespace per bot.

A bot builder serves hundreds of bots from one service. Each bot here gets a route
``{path}/{bot id}`` (an opaque id chosen by the builder, never the token), its own
options (secret, ack, store...; the shared ones are defaults), its own
:class:`~tgserve._runtime.Runtime` (so its own store namespace, dedup and per-chat order),
its own ``GET {path}/{bot id}`` info, and its series in ``/metrics`` labelled
``bot="{bot id}"``. A second bot on one route, or two bots with one token, is refused
with one line. :meth:`Bots.add` and :meth:`Bots.remove` change the set while serving.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from tgserve import _metrics as metrics
from tgserve import _queries as queries
from tgserve._bots import Target
from tgserve._config import Config, ConfigError
from tgserve._gate import (
    NOT_FOUND,
    QUERY_PATHS,
    Query,
    Request,
    Response,
    json_response,
    query_verdict,
)
from tgserve._redact import TOKEN_RE
from tgserve._runtime import Runtime
from tgserve._webhook import Webhook

if TYPE_CHECKING:
    from tgserve._tally import Snapshot
    from tgserve.broadcast._jobs import Progress

BOT_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
UNKNOWN_BOT = NOT_FOUND  # the gate's 404, as for one bot


@dataclasses.dataclass(frozen=True, slots=True)
class BotSpec:
    """One bot of a deployment: its target (plain handler, PTB Application, aiogram
    Dispatcher), its aiogram ``Bot`` when needed, and its own options."""

    target: Target
    bot: Any = None
    options: Mapping[str, Any] = dataclasses.field(default_factory=dict)


def spec(target: Target, /, *, bot: Any = None, **options: Any) -> BotSpec:
    """``tgserve.spec(handle, token=..., secret_token=...)``: one entry of a bot mapping."""
    return BotSpec(target, bot, options)


class Bots:
    """The bots of one deployment, by route id; host-independent (the ASGI host serves it)."""

    def __init__(
        self, bots: Mapping[str, BotSpec | Target], shared: Mapping[str, Any], *, host: str
    ) -> None:
        self.shared = dict(shared)
        self.host = host
        self.base = Config.load(self.shared).path.rstrip("/")
        self.webhooks: dict[str, Webhook] = {}
        self._tokens: dict[str, str] = {}  # bot's numeric id -> route id
        for bot_id, item in bots.items():
            self._build(bot_id, item)

    # the set of bots ---------------------------------------------------------

    def _build(self, bot_id: str, item: BotSpec | Target) -> Webhook:
        entry = item if isinstance(item, BotSpec) else BotSpec(item)
        if not isinstance(bot_id, str):
            raise ConfigError("a bot id must be a string of 1-64 of A-Za-z0-9_- (its route)")
        if TOKEN_RE.search(bot_id) or ":" in bot_id or bot_id.isdigit():
            raise ConfigError(
                "a bot id looks like a bot token or a bot's number: use an opaque name"
            )
        if not BOT_ID_RE.fullmatch(bot_id):
            raise ConfigError(f"bot id {bot_id[:70]!r} must be 1-64 of A-Za-z0-9_- (its route)")
        path = f"{self.base}/{bot_id}"
        if bot_id in self.webhooks:
            raise ConfigError(f"two bots on route {path}: each bot needs its own id")
        options = {**self.shared, **entry.options, "path": path}
        shared_url = self.shared.get("webhook_url")
        if shared_url and "webhook_url" not in entry.options:  # the URL of {path}: one each
            options["webhook_url"] = f"{str(shared_url).rstrip('/')}/{bot_id}"
        config = Config.load(options)
        runtime = Runtime(entry.target, config, bot=entry.bot, host=self.host)
        owner = self._tokens.get(runtime.adapter.bot_id)
        if owner is not None:
            raise ConfigError(
                f"bots {owner!r} and {bot_id!r} have one token: a token serves one route"
            )
        webhook = Webhook(runtime)
        self.webhooks[bot_id] = webhook
        self._tokens[runtime.adapter.bot_id] = bot_id
        return webhook

    async def add(self, bot_id: str, target: Target, /, *, bot: Any = None, **options: Any) -> None:
        """Serve one more bot from now on (its runtime starts here); refused (``ConfigError``,
        one line) on a taken route or token."""
        webhook = self._build(bot_id, BotSpec(target, bot, options))
        try:
            await webhook.runtime.start()
        except BaseException:
            self._forget(bot_id)
            raise

    async def remove(self, bot_id: str, grace: float | None = None) -> None:
        """Stop routing to a bot, let its in-flight updates finish within ``grace``, stop it.
        Its webhook on Telegram is left as it is (``tgserve webhook delete`` removes it)."""
        webhook = self._forget(bot_id)
        if webhook is not None:
            await webhook.runtime.stop(grace)

    def _forget(self, bot_id: str) -> Webhook | None:
        webhook = self.webhooks.pop(bot_id, None)
        if webhook is not None:
            self._tokens.pop(webhook.runtime.adapter.bot_id, None)
        return webhook

    async def start(self) -> None:
        await asyncio.gather(*(w.runtime.start() for w in list(self.webhooks.values())))

    async def stop(self, grace: float | None = None) -> None:
        await asyncio.gather(*(w.runtime.stop(grace) for w in list(self.webhooks.values())))

    # routing -----------------------------------------------------------------

    def webhook_for(self, path: str) -> Webhook | None:
        """The bot whose route ``path`` is, or ``None``."""
        head, _, bot_id = path.rstrip("/").rpartition("/")
        if head != self.base:
            return None
        return self.webhooks.get(bot_id)

    async def answer(self, query: Query) -> Response:
        """The deployment-wide queries: ``/healthz``, ``/readyz`` (all bots), ``/metrics``."""
        if query is Query.HEALTHZ:
            return queries.HEALTHY
        if query is Query.METRICS:
            return await self._metrics()
        checks = list(self.webhooks.items())
        found = await asyncio.gather(*(queries.readiness(w.runtime) for _, w in checks))
        failing = sorted(
            bot_id for (bot_id, _), (ready, _) in zip(checks, found, strict=True) if not ready
        )
        unreachable = sorted(
            bot_id for (bot_id, _), (_, store) in zip(checks, found, strict=True) if not store
        )
        payload = {
            "ok": not failing,
            "bots": len(checks),
            "not_ready": failing,  # each bot by the one-bot rule: started, its store reachable
            "store_unreachable": unreachable,
        }
        return json_response(503 if failing else 200, payload)

    async def _metrics(self) -> Response:
        if not self.webhooks:
            return queries.NO_METRICS
        try:
            from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
        except ImportError:
            return queries.NO_METRICS
        shown = sorted((i, w.runtime) for i, w in self.webhooks.items() if w.runtime.config.metrics)
        jobs = await asyncio.gather(*(metrics.broadcasts(runtime) for _, runtime in shown))
        registry = CollectorRegistry(auto_describe=False)
        each = [(i, r.snapshot(), j) for (i, r), j in zip(shown, jobs, strict=True)]
        registry.register(_Labelled(each))
        return Response(200, generate_latest(registry), (("content-type", CONTENT_TYPE_LATEST),))


class _Labelled:
    """Every bot's metric families (its broadcasts' too) merged, each sample labelled with its
    bot's id."""

    def __init__(self, bots: list[tuple[str, Snapshot, Mapping[str, Progress] | None]]) -> None:
        self.bots = bots

    def collect(self) -> Iterator[Any]:
        merged: dict[str, Any] = {}
        for bot_id, snapshot, broadcasts in self.bots:
            for family in metrics.families(snapshot, broadcasts):
                into = merged.get(family.name)
                if into is None:
                    from prometheus_client import Metric

                    into = merged[family.name] = Metric(
                        family.name, family.documentation, family.type
                    )
                for sample in family.samples:
                    labels = {"bot": bot_id, **sample.labels}
                    into.samples.append(sample._replace(labels=labels))
        yield from merged.values()


def bot_request(bots: Bots, request: Request) -> Webhook | Query | Response:
    """Which bot a request is for, or a deployment-wide query (the gate's reserved-route
    rule), or 404."""
    path = request.path.rstrip("/") or "/"
    query = QUERY_PATHS.get(path)
    if query is not None:
        return query_verdict(query, request.method)
    return bots.webhook_for(path) or UNKNOWN_BOT

"""Config: every host's options, from keyword arguments and the environment, validated once."""

from __future__ import annotations

import dataclasses
import ipaddress
import math
import os
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Literal, cast
from urllib.parse import urlsplit

from tgserve._config_error import ConfigError as ConfigError  # re-exported: its public home
from tgserve._webhook_setup.options import check_secrets, check_webhook
from tgserve.limits._rules import Limits, LimitsError
from tgserve.limits._rules import parse as parse_limits

AckMode = Literal["inline", "background", "queue"]
OnError = Literal["ack", "retry"]
StateMode = Literal["auto", "on", "off"]
StateCodecName = Literal["json", "pickle"]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
StartupHook = Callable[[], Awaitable[Any]]

# Telegram's published webhook source ranges.
TELEGRAM_NETWORKS = ("149.154.160.0/20", "91.108.4.0/22")
ACK_MODES: tuple[AckMode, ...] = ("inline", "background", "queue")
RESERVED_PATHS = ("/healthz", "/readyz", "/metrics")  # tgserve's own routes, on every host
BACKLOG_PER_SLOT = 4  # max_backlog's default: this many times max_concurrency
MAX_BACKLOG_WAIT = 50.0


@dataclasses.dataclass(frozen=True, slots=True)
class Config:
    """Validated options. Build it with :meth:`Config.load`, not directly."""

    token: str | None = None
    api_url: str = "https://api.telegram.org"
    secret_token: str | None = None
    previous_secret_token: str | None = None  # accepted too while a rotation is under way
    path: str = "/webhook"
    ack: AckMode = "background"
    store: str = "memory://"
    max_concurrency: int = 64
    max_in_flight: int = 8  # Bot API calls at once: ~30 messages/s at a 250 ms round trip
    max_backlog: int = 256  # background mode: acked, unfinished updates (4 x max_concurrency)
    backlog_wait: float = 10.0  # seconds a request is held for room before a 503
    max_body_bytes: int = 1 << 20
    allowed_ips: tuple[Network, ...] = ()
    trusted_proxies: tuple[Network, ...] = ()
    inline_timeout: float = 50.0
    on_error: OnError = "ack"
    grace_period: float = 25.0
    dedup_ttl: float = 24 * 3600.0
    lease: float = 60.0
    consume: bool = True  # queue mode: this process also runs a worker (False: webhook only)
    startup_hooks: tuple[StartupHook, ...] = ()
    startup_timeout: float = 10.0
    metrics: bool = True
    lock: str | None = None
    ptb_aiohttp: bool = True  # serve PTB's stock HTTPXRequest through aiohttp (bots/ptb_swap.py)
    gc_freeze: bool = True  # once started, exempt what start-up built from the GC's scans
    webhook_url: str | None = None  # registered at start by one process (tgserve._webhook_setup)
    allowed_updates: tuple[str, ...] | None = None  # None: derived from the bot
    webhook_max_connections: int | None = None  # None: Telegram's default, 40
    state: StateMode = "auto"  # bot state in the store: auto = on for every shared store
    state_ttl: float | None = None  # seconds an unwritten state record lives (None: for ever)
    state_codec: StateCodecName = "json"  # "pickle": unsafe on a shared store (docs/state.md)
    limits: Limits | None = dataclasses.field(
        default_factory=Limits
    )  # Telegram's send limits (tgserve.limits); None: off

    @classmethod
    def load(
        cls,
        options: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
        *,
        host_defaults: Mapping[str, Any] | None = None,
    ) -> Config:
        """Merge host defaults < environment < keyword arguments and validate the result."""
        env = os.environ if env is None else env
        options = dict(options or {})
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(options) - fields)
        if unknown:
            raise ConfigError(f"unknown option(s): {', '.join(unknown)}")
        values: dict[str, Any] = dict(host_defaults or {})
        for name, var in ENV_VARS.items():
            if var in env and env[var] != "":
                values[name] = env[var]
        values.update({k: v for k, v in options.items() if v is not None})
        return cls(**_validate(values))

    def public(self) -> dict[str, Any]:
        """What may be shown to anyone: no token, no secret."""
        return {
            "path": self.path,
            "ack": self.ack,
            "store": _store_scheme(self.store),
            "max_concurrency": self.max_concurrency,
            "secret_token": self.secret_token is not None,
            "ip_allow_list": bool(self.allowed_ips),
        }


ENV_VARS: dict[str, str] = {
    "token": "TELEGRAM_BOT_TOKEN",
    "api_url": "TGSERVE_API_URL",
    "secret_token": "TGSERVE_SECRET_TOKEN",
    "previous_secret_token": "TGSERVE_PREVIOUS_SECRET_TOKEN",
    "path": "TGSERVE_PATH",
    "ack": "TGSERVE_ACK",
    "store": "TGSERVE_STORE",
    "max_concurrency": "TGSERVE_MAX_CONCURRENCY",
    "max_in_flight": "TGSERVE_MAX_IN_FLIGHT",
    "max_backlog": "TGSERVE_MAX_BACKLOG",
    "backlog_wait": "TGSERVE_BACKLOG_WAIT",
    "max_body_bytes": "TGSERVE_MAX_BODY_BYTES",
    "allowed_ips": "TGSERVE_ALLOWED_IPS",
    "trusted_proxies": "TGSERVE_TRUSTED_PROXIES",
    "inline_timeout": "TGSERVE_INLINE_TIMEOUT",
    "on_error": "TGSERVE_ON_ERROR",
    "grace_period": "TGSERVE_GRACE_PERIOD",
    "lease": "TGSERVE_LEASE",
    "consume": "TGSERVE_CONSUME",
    "lock": "TGSERVE_LOCK",
    "metrics": "TGSERVE_METRICS",
    "gc_freeze": "TGSERVE_GC_FREEZE",
    "webhook_url": "TGSERVE_WEBHOOK_URL",
    "allowed_updates": "TGSERVE_ALLOWED_UPDATES",
    "webhook_max_connections": "TGSERVE_WEBHOOK_MAX_CONNECTIONS",
    "state": "TGSERVE_STATE",
    "state_ttl": "TGSERVE_STATE_TTL",
    "state_codec": "TGSERVE_STATE_CODEC",
    "ptb_aiohttp": "TGSERVE_PTB_AIOHTTP",
    "limits": "TGSERVE_LIMITS",
}


def _store_scheme(url: str) -> str:
    return url.split("://", 1)[0] + "://"


def _number(
    name: str, value: Any, kind: type[int] | type[float], low: float, *, above: bool = False
) -> Any:
    """``value`` as ``kind``, finite and at least ``low`` (more than ``low`` with ``above``)."""
    try:
        number = kind(value)
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ConfigError(f"{name} must be a finite number, got {value!r}")
    if number < low or (above and number == low):
        bound = f"more than {low}" if above else f"at least {low}"
        raise ConfigError(f"{name} must be {bound}, got {number}")
    return number


# Durations that stop the bot when 0: every claim expires at once (lease), every inline
# answer times out, no update id is remembered, every start-up hook is cancelled.
POSITIVE_DURATIONS = ("inline_timeout", "dedup_ttl", "lease", "startup_timeout")


def _networks(name: str, value: Any) -> tuple[Network, ...]:
    if isinstance(value, str):
        items: Sequence[Any] = [v for v in re.split(r"[\s,]+", value) if v]
    else:
        items = list(value)
    out: list[Network] = []
    for item in items:
        if item == "telegram":
            out.extend(ipaddress.ip_network(n) for n in TELEGRAM_NETWORKS)
            continue
        try:
            out.append(ipaddress.ip_network(str(item), strict=False))
        except ValueError:
            raise ConfigError(
                f"{name}: {item!r} is not an IP address or CIDR network (or the preset 'telegram')"
            ) from None
    return tuple(out)


def _route(path: str) -> str:
    return path.rstrip("/") or "/"


def _validate(v: dict[str, Any]) -> dict[str, Any]:
    check_secrets(v)
    path = v.get("path", "/webhook")
    if not isinstance(path, str) or not path.startswith("/") or _route(path) in RESERVED_PATHS:
        raise ConfigError("path must start with '/' and not be " + ", ".join(RESERVED_PATHS))
    v["path"] = _route(path)
    ack = v.get("ack", "background")
    if ack not in ACK_MODES:
        raise ConfigError(f"ack must be one of {', '.join(ACK_MODES)}, got {ack!r}")
    on_error = v.get("on_error", "ack")
    if on_error not in ("ack", "retry"):
        raise ConfigError(f"on_error must be 'ack' or 'retry', got {on_error!r}")
    store = v.get("store", "memory://")
    if not isinstance(store, str) or "://" not in store:
        raise ConfigError(f"store must be a URL such as memory:// or sqlite:///path, got {store!r}")
    try:
        _ = urlsplit(store).port  # raises when it is not a number
    except ValueError:
        raise ConfigError(
            f"store: the port of the {_store_scheme(store)} URL is not a port number (0-65535)"
        ) from None
    api_url = v.get("api_url", "https://api.telegram.org")
    if not isinstance(api_url, str) or not api_url.startswith(("http://", "https://")):
        raise ConfigError("api_url must be an http:// or https:// URL")
    v["api_url"] = api_url.rstrip("/")
    check_webhook(v)
    for name in ("max_concurrency", "max_in_flight", "max_body_bytes", "max_backlog"):
        if name in v:
            v[name] = _number(name, v[name], int, 1)
    v.setdefault("max_backlog", BACKLOG_PER_SLOT * v.get("max_concurrency", 64))
    if "backlog_wait" in v:
        v["backlog_wait"] = _number("backlog_wait", v["backlog_wait"], float, 0.0)
        if v["backlog_wait"] > MAX_BACKLOG_WAIT:
            raise ConfigError(
                f"backlog_wait must be at most {MAX_BACKLOG_WAIT:.0f} s (Telegram gives up on a "
                f"webhook answer after 60 s), got {v['backlog_wait']}"
            )
    if "grace_period" in v:
        v["grace_period"] = _number("grace_period", v["grace_period"], float, 0.0)
    for name in POSITIVE_DURATIONS:
        if name in v:
            v[name] = _number(name, v[name], float, 0.0, above=True)
    for name in ("allowed_ips", "trusted_proxies"):
        if name in v:
            v[name] = _networks(name, v[name])
    if "limits" in v:
        try:
            v["limits"] = parse_limits(v["limits"])
        except LimitsError as exc:
            raise ConfigError(str(exc)) from None
    hooks = v.get("startup_hooks", ())
    if callable(hooks):
        hooks = (hooks,)
    v["startup_hooks"] = tuple(cast(Sequence[StartupHook], hooks))
    _state_options(v)
    for name in ("metrics", "consume", "gc_freeze", "ptb_aiohttp"):
        if name in v:
            v[name] = _boolean(name, v[name])
    return v


TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")


def _boolean(name: str, value: Any) -> bool:
    """A bool, or one of TRUE / FALSE in any case (as the environment gives it)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, str | int) else None
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ConfigError(f"{name} must be one of {', '.join(TRUE + FALSE)}, got {value!r}")


def _state_options(v: dict[str, Any]) -> None:
    state = v.get("state", "auto")
    if isinstance(state, bool):
        state = "on" if state else "off"
    if state not in ("auto", "on", "off"):
        raise ConfigError(f"state must be auto, on or off, got {state!r}")
    v["state"] = state
    ttl = v.get("state_ttl")
    if ttl is not None:
        ttl = _number("state_ttl", ttl, float, 0.0)
        v["state_ttl"] = ttl or None  # 0: no expiry
    codec = v.get("state_codec", "json")
    if codec not in ("json", "pickle"):
        raise ConfigError(f"state_codec must be json or pickle, got {codec!r}")

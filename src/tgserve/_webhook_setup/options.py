"""Validation of the webhook options and the secret pair (called from :mod:`tgserve._config`)."""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from collections.abc import Sequence
from typing import Any

from tgserve._config_error import ConfigError
from tgserve._update_types import ALL_UPDATE_TYPES, NEWER_TYPES

SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
LOOPBACK_NAMES = ("localhost",)


def check_secrets(v: dict[str, Any]) -> None:
    """``secret_token`` is one secret, or ``"current,previous"`` (or a pair) during a rotation."""
    secret = v.get("secret_token")
    if isinstance(secret, str) and "," in secret:
        secret = [s.strip() for s in secret.split(",")]
    if isinstance(secret, Sequence) and not isinstance(secret, str):
        items = list(secret)
        if not 1 <= len(items) <= 2:
            raise ConfigError("secret_token takes one secret, or two: current,previous")
        v["secret_token"] = items[0]
        if len(items) == 2:
            v.setdefault("previous_secret_token", items[1])
    for name in ("secret_token", "previous_secret_token"):
        value = v.get(name)
        if value is not None and not (isinstance(value, str) and SECRET_RE.fullmatch(value)):
            raise ConfigError(f"{name} must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
    if v.get("previous_secret_token") and not v.get("secret_token"):
        raise ConfigError("previous_secret_token needs a current secret_token next to it")


def check_webhook(v: dict[str, Any]) -> None:
    """``webhook_url`` https (http only against a Telegram on loopback), the update types
    known by name, ``webhook_max_connections`` within Telegram's 1-100."""
    url = v.get("webhook_url")
    if url is not None:
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise ConfigError(f"webhook_url must be an https:// URL, got {url!r}")
        if url.startswith("http://") and not is_local(str(v.get("api_url", ""))):
            raise ConfigError(
                "webhook_url must be https:// (Telegram refuses http://); "
                "http:// is only for a local Telegram (api_url on loopback)"
            )
        if not urllib.parse.urlsplit(url).hostname:
            raise ConfigError(f"webhook_url has no host: {url!r}")
    allowed = v.get("allowed_updates")
    if allowed is not None:
        v["allowed_updates"] = _update_types(allowed)
    limit = v.get("webhook_max_connections")
    if limit is not None:
        try:
            number = int(limit)
        except (TypeError, ValueError):
            raise ConfigError(f"webhook_max_connections must be a number, got {limit!r}") from None
        if not 1 <= number <= 100:
            raise ConfigError(f"webhook_max_connections must be 1-100, got {number}")
        v["webhook_max_connections"] = number


def _update_types(value: Any) -> tuple[str, ...]:
    items = [s for s in re.split(r"[\s,]+", value) if s] if isinstance(value, str) else value
    names = [str(s) for s in items]
    if names == ["all"]:
        return ALL_UPDATE_TYPES
    unknown = sorted(set(names) - set(ALL_UPDATE_TYPES) - set(NEWER_TYPES))
    if unknown:
        raise ConfigError(
            f"allowed_updates: unknown update type(s) {', '.join(unknown)} "
            "(or 'all'; see https://core.telegram.org/bots/api#update)"
        )
    return tuple(dict.fromkeys(names))


def is_local(api_url: str) -> bool:
    """True when ``api_url`` is a Bot API server on this machine (the local Telegram)."""
    host = urllib.parse.urlsplit(api_url).hostname or ""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

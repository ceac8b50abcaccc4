"""tgserve: run any async Telegram bot behind a webhook on any host, with one event loop.

Names are imported on first use, so that ``import tgserve`` on a cold Lambda loads only
what the chosen host needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from tgserve import redact as _redact

if TYPE_CHECKING:
    from tgserve.botapi import BotAPI, NetworkError, TelegramError
    from tgserve.config import Config, ConfigError
    from tgserve.gate import Request, Response
    from tgserve.hosts.asgi import asgi
    from tgserve.hosts.aws_lambda import aws_lambda
    from tgserve.hosts.gcf import gcf
    from tgserve.hosts.polling import poll
    from tgserve.hosts.wsgi import wsgi
    from tgserve.hosts.yandex import yandex
    from tgserve.multibot import spec
    from tgserve.runtime import Runtime

__version__ = "0.1.0"

# Mask token-shaped values in every log record from now on. This one side effect stays at
# import: PTB logs its token at DEBUG while an Application is built, and the import is the
# only tgserve code that runs before that (docs/architecture.md, "Logging").
_redact.install()

_EXPORTS: dict[str, str] = {
    "BotAPI": "tgserve.botapi",
    "Config": "tgserve.config",
    "ConfigError": "tgserve.config",
    "NetworkError": "tgserve.botapi",
    "Request": "tgserve.gate",
    "Response": "tgserve.gate",
    "Runtime": "tgserve.runtime",
    "TelegramError": "tgserve.botapi",
    "asgi": "tgserve.hosts.asgi",
    "aws_lambda": "tgserve.hosts.aws_lambda",
    "gcf": "tgserve.hosts.gcf",
    "poll": "tgserve.hosts.polling",
    "spec": "tgserve.multibot",
    "wsgi": "tgserve.hosts.wsgi",
    "yandex": "tgserve.hosts.yandex",
}

__all__ = [
    "BotAPI",
    "Config",
    "ConfigError",
    "NetworkError",
    "Request",
    "Response",
    "Runtime",
    "TelegramError",
    "asgi",
    "aws_lambda",
    "gcf",
    "poll",
    "spec",
    "wsgi",
    "yandex",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'tgserve' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])

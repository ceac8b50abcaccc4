"""tgserve: run any async Telegram bot behind a webhook on any host, with one event loop.

Names are imported on first use, so that ``import tgserve`` on a cold Lambda loads only
what the chosen host needs. ``__all__`` is the public surface; other modules are internal
and may change (test helpers live in :mod:`tgserve.testing`, the local Telegram in
:mod:`tgserve.emulator`).
"""

from __future__ import annotations

import importlib as _importlib
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

from tgserve import coldstart as _coldstart
from tgserve import redact as _redact

if _TYPE_CHECKING:
    from tgserve.botapi import BotAPI, NetworkError, TelegramError
    from tgserve.bots.base import BotAdapter, Target
    from tgserve.bots.ptb_request import AiohttpRequest
    from tgserve.config import Config, ConfigError
    from tgserve.deliveries import UpdateDelivery, current_delivery
    from tgserve.gate import Request, Response
    from tgserve.hosts.asgi import asgi
    from tgserve.hosts.aws_lambda import aws_lambda
    from tgserve.hosts.gcf import gcf
    from tgserve.hosts.polling import PollingError, poll
    from tgserve.hosts.wsgi import wsgi
    from tgserve.hosts.yandex import yandex
    from tgserve.logs import configure_logging
    from tgserve.loopthread import run_on_loop
    from tgserve.multibot import spec
    from tgserve.runtime import Runtime

__version__ = "0.1.0"

# Mask token-shaped values in every log record from now on. This one side effect stays at
# import: PTB logs its token at DEBUG while an Application is built, and the import is the
# only tgserve code that runs before that (docs/architecture.md, "Logging").
_redact.install()

_EXPORTS: dict[str, str] = {
    "AiohttpRequest": "tgserve.bots.ptb_request",
    "BotAPI": "tgserve.botapi",
    "BotAdapter": "tgserve.bots.base",
    "Config": "tgserve.config",
    "ConfigError": "tgserve.config",
    "NetworkError": "tgserve.botapi",
    "PollingError": "tgserve.hosts.polling",
    "Request": "tgserve.gate",
    "Response": "tgserve.gate",
    "Runtime": "tgserve.runtime",
    "Target": "tgserve.bots.base",
    "TelegramError": "tgserve.botapi",
    "UpdateDelivery": "tgserve.deliveries",
    "asgi": "tgserve.hosts.asgi",
    "aws_lambda": "tgserve.hosts.aws_lambda",
    "configure_logging": "tgserve.logs",
    "current_delivery": "tgserve.deliveries",
    "gcf": "tgserve.hosts.gcf",
    "poll": "tgserve.hosts.polling",
    "run_on_loop": "tgserve.loopthread",
    "spec": "tgserve.multibot",
    "wsgi": "tgserve.hosts.wsgi",
    "yandex": "tgserve.hosts.yandex",
}

_COLD_START_HOSTS = ("aws_lambda", "yandex")  # frozen-instance hosts (tgserve.coldstart)

__all__ = [
    "AiohttpRequest",
    "BotAPI",
    "BotAdapter",
    "Config",
    "ConfigError",
    "NetworkError",
    "PollingError",
    "Request",
    "Response",
    "Runtime",
    "Target",
    "TelegramError",
    "UpdateDelivery",
    "asgi",
    "aws_lambda",
    "configure_logging",
    "current_delivery",
    "gcf",
    "poll",
    "run_on_loop",
    "spec",
    "wsgi",
    "yandex",
]


def __getattr__(name: str) -> _Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'tgserve' has no attribute {name!r}")
    if name in _COLD_START_HOSTS:  # their first use imports most of tgserve, on a cold start
        with _coldstart.cold_phase("import", _coldstart.freeze_wanted()):
            value = getattr(_importlib.import_module(module), name)
    else:
        value = getattr(_importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])

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

from tgserve import _coldstart, _redact

if _TYPE_CHECKING:
    from tgserve._botapi import BotAPI, NetworkError, TelegramError
    from tgserve._bots.base import BotAdapter, Target
    from tgserve._bots.ptb_request import AiohttpRequest
    from tgserve._config import Config, ConfigError
    from tgserve._deliveries import UpdateDelivery, current_delivery
    from tgserve._gate import Request, Response
    from tgserve._hosts.asgi import asgi
    from tgserve._hosts.aws_lambda import aws_lambda
    from tgserve._hosts.gcf import gcf
    from tgserve._hosts.polling import PollingError, poll
    from tgserve._hosts.wsgi import wsgi
    from tgserve._hosts.yandex import yandex
    from tgserve._logs import bind, configure_logging
    from tgserve._loopthread import run_on_loop
    from tgserve._multibot import spec
    from tgserve._runtime import Runtime

__version__ = "0.1.0"

# Mask token-shaped values in every log record from now on. This one side effect stays at
# import: PTB logs its token at DEBUG while an Application is built, and the import is the
# only tgserve code that runs before that (docs/architecture.md, "Logging").
_redact.install()

_EXPORTS: dict[str, str] = {
    "bind": "tgserve._logs",
    "AiohttpRequest": "tgserve._bots.ptb_request",
    "BotAPI": "tgserve._botapi",
    "BotAdapter": "tgserve._bots.base",
    "Config": "tgserve._config",
    "ConfigError": "tgserve._config",
    "NetworkError": "tgserve._botapi",
    "PollingError": "tgserve._hosts.polling",
    "Request": "tgserve._gate",
    "Response": "tgserve._gate",
    "Runtime": "tgserve._runtime",
    "Target": "tgserve._bots.base",
    "TelegramError": "tgserve._botapi",
    "UpdateDelivery": "tgserve._deliveries",
    "asgi": "tgserve._hosts.asgi",
    "aws_lambda": "tgserve._hosts.aws_lambda",
    "configure_logging": "tgserve._logs",
    "current_delivery": "tgserve._deliveries",
    "gcf": "tgserve._hosts.gcf",
    "poll": "tgserve._hosts.polling",
    "run_on_loop": "tgserve._loopthread",
    "spec": "tgserve._multibot",
    "wsgi": "tgserve._hosts.wsgi",
    "yandex": "tgserve._hosts.yandex",
}

_COLD_START_HOSTS = ("aws_lambda", "yandex")  # frozen-instance hosts (tgserve._coldstart)

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
    "bind",
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

"""The start-up the bot-serving commands share: logging, the bot, its settings, its store.

``tgserve poll`` and ``tgserve worker`` begin the same way; a refusal here is one line
and exit code 2, printed by :func:`tgserve.cli._errors.run_command` like every other.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Mapping
from typing import Any

from tgserve._bots import Target
from tgserve._config import Config, ConfigError
from tgserve.cli._target import load_target


@dataclasses.dataclass(frozen=True, slots=True)
class Started:
    """The loaded bot (and its aiogram ``Bot``, else ``None``) and the settings it runs with."""

    target: Target
    bot: Any
    config: Config


def start_up(args: argparse.Namespace, settings: Mapping[str, Any] | None = None) -> Started:
    """Configure logging (``--log-level``), load ``args.bot``, load the settings
    (``settings`` over the environment) and reach their store once. A bad bot raises
    ``TargetError``, anything else the user can fix a ``ConfigError``: one line each."""
    from tgserve._logs import configure_logging
    from tgserve.cli._preflight import reach_store

    configure_logging(args.log_level)  # TGSERVE_LOG_FORMAT=json for one JSON object a line
    try:
        target, bot = load_target(args.bot)
        config = Config.load(settings)
        reach_store(config)
    except ConfigError:
        raise
    except (TypeError, ValueError) as exc:  # a bad value where the bot or a setting is read
        raise ConfigError(str(exc)) from None
    return Started(target, bot, config)

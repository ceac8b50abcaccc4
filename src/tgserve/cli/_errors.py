"""One line and exit code 2 for what a user can fix: a bad setting, a bad target, a missing extra.

Every command runs through :func:`run_command`, so each refuses the same things the same way.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

# the top-level module a missing import names -> the tgserve extra that installs it
EXTRAS: dict[str, str] = {
    "starlette": "emulator",
    "multipart": "emulator",
    "python_multipart": "emulator",
    "uvicorn": "server",
    "telegram": "ptb",
    "apscheduler": "ptb",
    "aiogram": "aiogram",
    "redis": "redis",
    "asyncpg": "postgres",
    "prometheus_client": "metrics",
    "uvloop": "speed",
    "httptools": "speed",
    "aiohttp": "speed",
}
USAGE = 2  # the exit code for anything the user can fix by changing the command or a setting


def missing_extra(exc: ModuleNotFoundError, command: str) -> str:
    """``tgserve run needs starlette: pip install 'tgserve[emulator]'``, or the bare name."""
    name = (exc.name or "").partition(".")[0]
    extra = EXTRAS.get(name)
    if extra is None:
        return f"tgserve {command}: no module named {name or exc.name!r}"
    return f"tgserve {command} needs {name}: pip install 'tgserve[{extra}]'"


def run_command(func: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run one subcommand; a refused setting or target, or a missing extra, is one line."""
    from tgserve._config import ConfigError
    from tgserve.cli._target import TargetError

    command = str(getattr(args, "command", "") or "")
    try:
        return func(args)
    except (ConfigError, TargetError) as exc:
        print(f"tgserve: {exc}", file=sys.stderr)
    except ModuleNotFoundError as exc:
        print(missing_extra(exc, command), file=sys.stderr)
    return USAGE

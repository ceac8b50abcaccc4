"""Load a bot named on the command line: ``module:attr`` or ``path/to/file.py:attr``."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

from tgserve._bots import ACCEPTED, kind_of

DEFAULT_NAMES = ("handle", "application", "app", "dp", "dispatcher", "bot")


class TargetError(Exception):
    """The bot named on the command line cannot be loaded; the message is one line."""


def load_target(spec: str) -> tuple[Any, Any]:
    """The bot object and, for aiogram, the module's ``aiogram.Bot`` (else ``None``)."""
    module_name, _, attr = spec.partition(":")
    if not module_name:
        raise TargetError(f"{spec!r} names no module: pass module:ATTR or path/to/bot.py:ATTR")
    module = import_bot_module(module_name)
    if attr:
        if not hasattr(module, attr):
            raise TargetError(f"{module_name} has no attribute {attr!r}")
        target = getattr(module, attr)
    else:
        found = [getattr(module, n) for n in DEFAULT_NAMES if kind_of(getattr(module, n, None))]
        if not found:
            raise TargetError(f"{module_name} has no bot; name it as {module_name}:ATTR")
        target = found[0]
    kind = kind_of(target)
    if kind is None:
        raise TargetError(f"{spec} is a {type(target).__name__}; tgserve serves {ACCEPTED}")
    bot = None
    if kind == "aiogram":
        bots = [
            v
            for v in vars(module).values()
            if type(v).__name__ == "Bot" and type(v).__module__.startswith("aiogram")
        ]
        if len(bots) != 1:
            raise TargetError(f"{module_name} must define exactly one aiogram.Bot for {spec}")
        bot = bots[0]
    return target, bot


def import_bot_module(name: str) -> ModuleType:
    """The module a target names: a file path, or a module found from the current directory
    first (as ``python -m`` finds it, though the ``tgserve`` script lives elsewhere)."""
    if Path(name).suffix not in ("", ".py") and Path(name).is_file():
        raise TargetError(f"{name} is not a Python file: name the bot's .py file")
    if name.endswith(".py") or "/" in name:
        path = Path(name).resolve()
        if path.is_dir():
            raise TargetError(f"{name} is a directory: name the bot's .py file in it")
        if not path.is_file():
            raise TargetError(f"no such file: {name}")
        mod_name = path.stem
        loaded = sys.modules.get(mod_name)
        if loaded is not None and getattr(loaded, "__file__", None) == str(path):
            return loaded  # named twice (lambda invoke looks before it loads): run it once
        sys.path.insert(0, str(path.parent))
        spec = importlib.util.spec_from_file_location(mod_name, path)
        if spec is None or spec.loader is None:
            raise TargetError(f"cannot import {name}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[mod_name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException as exc:
            sys.modules.pop(mod_name, None)
            _refuse_import(name, exc)
        return module
    here = os.getcwd()
    if here not in sys.path and "" not in sys.path:
        sys.path.insert(0, here)
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and name.startswith(exc.name):
            raise TargetError(f"no module named {exc.name!r}") from None
        raise
    except BaseException as exc:
        _refuse_import(name, exc)


def _refuse_import(name: str, exc: BaseException) -> NoReturn:
    """The bot's module failed while it was imported: one line saying where and why. A
    missing extra is left to the command (it names the extra), like Ctrl-C and exit()."""
    if isinstance(exc, ModuleNotFoundError | KeyboardInterrupt | SystemExit):
        raise exc
    if isinstance(exc, SyntaxError):
        where = f"{exc.filename}:{exc.lineno}"
        raise TargetError(f"{name} does not compile: {where}: {exc.msg}") from None
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    why = str(exc).splitlines()[0] if str(exc) else ""
    raise TargetError(
        f"importing {name} failed{where}: {type(exc).__name__}" + (f": {why}" if why else "")
    ) from None

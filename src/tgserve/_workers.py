"""Several worker processes serving one bot unsafely: refused at start, with one line.

``memory://`` (and ``sqlite://:memory:``) is per process: under gunicorn ``-w 2`` or
uvicorn ``--workers 2`` a redelivery reaching the other worker is handled twice. And with
``ack=background`` (the default) each update is acked at once, so Telegram sends the
chat's next one, which may reach the other worker while the first is still handled: out
of order. tgserve refuses to start in both cases, naming the fix (a shared store;
``ack=queue``, which leases a chat to one worker at a time, or ``inline``). Several
workers are found in one of two ways:

- the server's own settings, parsed by the server's own parser (gunicorn, uvicorn); they
  are trusted, so a gunicorn reload (new workers start before the old ones stop) of one
  worker is not mistaken for two;
- otherwise a heartbeat in a shared place: each worker holds a lock on a file named after
  the bot and its parent process in the temporary directory; a second live worker of the
  same server (hypercorn, granian, ``tgserve serve``, uvicorn.run(workers=...)) sees the
  first (each leaves its heartbeat before it looks, so two starting at once both see).

Docs: docs/wsgi.md and docs/operations.md ("Several worker processes").
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib
import os
import sys
import tempfile
from collections.abc import Sequence
from typing import Any

from tgserve._config import Config, ConfigError

SERVERS = ("gunicorn", "uvicorn", "hypercorn", "granian", "tgserve")
HEARTBEAT_DIR = "tgserve-workers"
_held: dict[str, int] = {}  # heartbeat path -> the fd whose lock says this process lives


def per_process(store: str) -> bool:
    """True for a store each process keeps to itself."""
    scheme = store.split("://", 1)[0].lower()
    return scheme == "memory" or (scheme == "sqlite" and ":memory:" in store)


def refuse_several_workers(config: Config, bot_id: str, host: str) -> None:
    """Raise a one-line :class:`ConfigError` when several workers would serve this bot with
    a per-process store, or with ``ack=background`` (a chat's next update, acked at once,
    may run on another worker before the last one ends); otherwise leave a heartbeat for
    the workers that start later."""
    if host not in ("asgi", "wsgi"):
        return
    shared = not per_process(config.store)
    if shared and config.ack != "background":
        return
    server, workers = declared_workers(sys.argv)
    if workers is None:  # the server's settings are unknown: ask the heartbeats
        workers = live_siblings(bot_id) + 1
        server = server or "the parent server"
    if workers <= 1:
        return
    if not shared:
        message = (
            f"{server} runs {workers} worker processes for this bot, but store "
            f"{config.store} is per process (chats out of order, updates handled twice): "
            "set TGSERVE_STORE to a shared store (redis://, postgresql:// or sqlite:///bot.db) "
            "or run one worker"
        )
    else:
        message = (
            f"{server} runs {workers} worker processes for this bot with ack=background, "
            "so a chat's next message may run on another worker before the last one ends: "
            "use TGSERVE_ACK=queue (or inline), or run one worker"
        )
    if server == "gunicorn":
        raise _gunicorn_refusal(message)
    raise ConfigError(message)


GUNICORN_APP_LOAD_ERROR = 4  # gunicorn's exit code for an app that failed to load


def _gunicorn_refusal(message: str) -> ConfigError:
    """A ConfigError gunicorn reports as one line ("App failed to load"), not a traceback.

    A worker reports it so; with ``--preload`` the app loads in gunicorn's master, which
    would print a traceback: there the line goes to stderr and the process exits with
    gunicorn's app-load code."""
    if _gunicorn_preloads():
        print(message, file=sys.stderr, flush=True)
        raise SystemExit(GUNICORN_APP_LOAD_ERROR)
    try:
        from gunicorn.errors import AppImportError
    except ImportError:
        return ConfigError(message)

    class Refused(ConfigError, AppImportError):  # type: ignore[misc]
        pass

    return Refused(message)


def declared_workers(argv: Sequence[str]) -> tuple[str | None, int | None]:
    """``(server, workers)`` from the command line the process was started with."""
    name = _program(argv)
    if name == "gunicorn":
        return name, _gunicorn_workers()
    if name == "uvicorn":
        return name, _uvicorn_workers(argv)
    return name, None


def _program(argv: Sequence[str]) -> str | None:
    if not argv:
        return None
    first = argv[0].replace("\\", "/")
    if first.endswith("/__main__.py"):
        first = first[: -len("/__main__.py")]
    base = os.path.basename(first).removesuffix(".py")
    return base if base in SERVERS else None


def _gunicorn_workers() -> int | None:
    """gunicorn's ``workers`` as gunicorn itself reads it (flags, config file, env)."""
    probe = _gunicorn_settings()
    try:
        return int(probe.cfg.workers) if probe is not None else None
    except (TypeError, ValueError):
        return None


def _gunicorn_settings() -> Any:
    """gunicorn's application object, its settings read by gunicorn's own parser (or None)."""
    try:
        from gunicorn.app.wsgiapp import WSGIApplication
    except ImportError:
        return None

    class Probe(WSGIApplication):  # type: ignore[misc]
        def chdir(self) -> None:  # read the settings only; change nothing in the process
            return None

    try:
        return Probe("%(prog)s [OPTIONS] [APP_MODULE]")
    except (Exception, SystemExit):
        return None


def _gunicorn_preloads() -> bool:
    """True when gunicorn's settings say ``preload_app`` (the app loads in the master)."""
    if _program(sys.argv) != "gunicorn":
        return False
    probe = _gunicorn_settings()
    return bool(probe is not None and probe.cfg.preload_app)


def _uvicorn_workers(argv: Sequence[str]) -> int | None:
    """uvicorn's ``--workers`` (or ``WEB_CONCURRENCY``) through uvicorn's own parser."""
    try:
        command: Any = importlib.import_module("uvicorn.main").main
        context = command.make_context("uvicorn", list(argv[1:]))
        workers = context.params.get("workers")
        if workers is None and os.environ.get("WEB_CONCURRENCY"):  # as uvicorn.Config reads it
            workers = int(os.environ["WEB_CONCURRENCY"])
    except (Exception, SystemExit):
        return None
    return int(workers) if workers else 1


def live_siblings(bot_id: str) -> int:
    """Leave this process's heartbeat; count the live workers of the same server process
    serving this bot (0 when the parent is not a server of several workers)."""
    parent = os.getppid()
    if _program(_cmdline(parent)) is None:
        return 0
    folder = os.path.join(tempfile.gettempdir(), HEARTBEAT_DIR)
    os.makedirs(folder, exist_ok=True)
    prefix = f"{_safe(bot_id)}.{parent}."
    mine = os.path.join(folder, f"{prefix}{os.getpid()}")
    if mine not in _held:
        fd = os.open(mine, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        _held[mine] = fd
    alive = 0
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if name.startswith(prefix) and path != mine and _held_by_another(path):
            alive += 1
    return alive


def _held_by_another(path: str) -> bool:
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    else:  # its process is gone: clear it
        with contextlib.suppress(OSError):
            os.unlink(path)
        return False
    finally:
        os.close(fd)


def _cmdline(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            raw = f.read()
    except OSError:
        return []
    args = [a.decode("utf-8", "replace") for a in raw.split(b"\0") if a]
    if args and os.path.basename(args[0]).startswith("python"):
        args = args[2:] if args[1:2] == ["-m"] else args[1:]
    return args


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)

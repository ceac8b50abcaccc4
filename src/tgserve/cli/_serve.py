"""``tgserve serve BOT``: the ASGI host under uvicorn."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import MutableMapping
from typing import Any

from tgserve.cli._target import TargetError, load_target

BOT_ENV = "TGSERVE_BOT"


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser("serve", help="serve a bot's webhook under uvicorn")
    p.add_argument("bot", help="module:attr or path/to/file.py:attr")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--log-level", default="info")
    p.set_defaults(func=run)


def app_factory() -> Any:
    """Build the ASGI app from ``TGSERVE_BOT`` (what uvicorn's workers import)."""
    from tgserve._hosts.asgi import asgi
    from tgserve._logs import configure_logging

    configure_logging()  # in each worker process too: TGSERVE_LOG_LEVEL / TGSERVE_LOG_FORMAT
    target, bot = load_target(os.environ[BOT_ENV])
    return asgi(target, bot=bot)


def uvicorn_options() -> dict[str, Any]:
    """uvloop and httptools when installed; timeouts so a slow client cannot hold a worker.

    An idle keep-alive connection is closed after 5 s, h11 refuses headers over 16 KiB
    (httptools has its own limit), and the ASGI host answers a body that takes over
    ``ASGIApp.body_timeout`` with 400. uvicorn has no timeout for slow request headers:
    put nginx (``client_header_timeout``) in front of a public port; see docs/operations.md.
    ``log_config=None``: records go to the root logger, formatted by tgserve._logs.
    """
    import importlib.util

    speed = importlib.util.find_spec("uvloop") is not None
    return {
        "loop": "uvloop" if speed else "asyncio",
        "http": "httptools" if importlib.util.find_spec("httptools") else "h11",
        "timeout_keep_alive": 5,
        "h11_max_incomplete_event_size": 16 * 1024,
        "log_config": None,
        "timeout_graceful_shutdown": 30,
    }


def workers_rule(workers: int, env: MutableMapping[str, str]) -> str | None:
    """Several worker processes keep each chat's order and dedup only with a store every
    worker reaches (not a per-process one) and an ack that holds a chat's next update back
    while one worker still has its last: ``queue`` (a chat's updates are leased to one
    worker at a time; set when no ack is chosen) or ``inline`` (the answer waits for the
    handler). Returns the refusal, one line naming the fix, or None."""
    if workers == 1:
        return None
    from tgserve._workers import per_process

    store = env.get("TGSERVE_STORE") or "memory://"
    if per_process(store):
        return (
            f"--workers {workers} needs a store every worker shares; {store} is per "
            "process: set TGSERVE_STORE=redis://..., postgresql://... or sqlite:///path.db "
            "(or serve with --workers 1)"
        )
    ack = env.get("TGSERVE_ACK") or "queue"
    if ack not in ("queue", "inline"):
        return (
            f"--workers {workers} keeps each chat's order only with TGSERVE_ACK=queue (or "
            f"inline), not {ack}: two workers could run one chat's updates at once; set "
            "TGSERVE_ACK=queue (or serve with --workers 1)"
        )
    env["TGSERVE_ACK"] = ack
    return None


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn
    except ImportError:
        print("tgserve serve needs uvicorn: pip install 'tgserve[server]'", file=sys.stderr)
        return 2
    from tgserve.cli._preflight import check_port, reach_store

    if args.workers < 1:
        print("tgserve: --workers must be at least 1", file=sys.stderr)
        return 2
    refusal = workers_rule(args.workers, os.environ)
    if refusal is not None:
        print(f"tgserve: {refusal}", file=sys.stderr)
        return 2
    os.environ[BOT_ENV] = args.bot
    os.environ.setdefault("TGSERVE_LOG_LEVEL", args.log_level.upper())
    try:
        app = app_factory()  # fail fast, with one line, before uvicorn starts
        reach_store(app.runtime.config)
        check_port(args.host, args.port, "--port")
    except (TargetError, TypeError, ValueError) as exc:
        print(f"tgserve: {exc}", file=sys.stderr)
        return 2
    uvicorn.run(
        "tgserve.cli._serve:app_factory",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        # below DEBUG tgserve._logs mutes uvicorn.access anyway; off, uvicorn skips building
        # each request's line (the client address, the path) that nobody would see
        access_log=args.log_level.lower() in ("debug", "trace"),
        **uvicorn_options(),
    )
    return 0

"""``tgserve run BOT``: the bot on a local Telegram, or on Telegram with a token and --url."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import secrets
import sys
from collections.abc import Iterator
from typing import Any

from tgserve._signals import stop_signals
from tgserve.cli._target import load_target


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "run",
        help="run a bot: on a local Telegram (no token) or on Telegram (TELEGRAM_BOT_TOKEN)",
    )
    p.add_argument("bot", help="module:attr or path/to/file.py[:attr]")
    p.add_argument("--host", default=None, help="bind address (127.0.0.1 locally, else 0.0.0.0)")
    p.add_argument("--port", type=int, default=8000, help="the bot's webhook server port")
    p.add_argument("--emulator-port", type=int, default=8081, help="the local Telegram's port")
    p.add_argument("--url", help="public https:// base URL of this server (Telegram mode)")
    p.add_argument("--drop-pending", action="store_true", help="drop updates waiting on Telegram")
    p.add_argument("--allowed-updates", help="comma-separated update types (Telegram mode)")
    p.add_argument("--log-level", default=None, help="else TGSERVE_LOG_LEVEL, else warning/info")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    token = os.environ.get("TELEGRAM_BOT_TOKEN")
    try:
        if token:
            return _on_telegram(args, token)
        return asyncio.run(_locally(args))
    except KeyboardInterrupt:
        return 130


@contextlib.contextmanager
def _environment(**values: str) -> Iterator[None]:
    """Set environment variables for the block, then put back what was there before."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


async def _locally(args: argparse.Namespace) -> int:
    from tgserve._bots.api_server import point_at
    from tgserve._config import Config, ConfigError
    from tgserve._logs import configure_logging
    from tgserve.cli._explain import TelegramCallFilter, start_failure
    from tgserve.cli._preflight import check_port, reach_store_async
    from tgserve.emulator import Emulator
    from tgserve.emulator._local import serve_bot

    configure_logging(args.log_level or os.environ.get("TGSERVE_LOG_LEVEL") or "WARNING")
    host = args.host or "127.0.0.1"
    check_port(host, args.emulator_port, "--emulator-port")
    check_port(host, args.port, "--port")
    tg = Emulator(host=host, port=args.emulator_port)
    async with stop_signals() as stopped:
        await tg.start()
        try:
            # the bot reads its token (and a plain bot's own client its API) as it usually
            # does; both are put back as they were when the run ends
            with _environment(TELEGRAM_BOT_TOKEN=tg.token, TGSERVE_API_URL=tg.api_url):
                await reach_store_async(Config.load({"token": tg.token}))
                target, bot = load_target(args.bot)
                pointed = point_at(target, bot, tg.api_url)
                tg.world.add_user("You", "you")
                guard = TelegramCallFilter()
                for handler in logging.getLogger().handlers:
                    handler.addFilter(guard)
                started = False
                try:
                    async with serve_bot(tg, target, bot=bot, host=host, port=args.port):
                        started = True
                        if pointed:
                            print(f"tgserve: pointed {pointed} at {tg.api_url}", flush=True)
                        print(
                            f"tgserve: {args.bot} runs on a local Telegram. Chat with it: {tg.url}",
                            flush=True,
                        )
                        print("Ctrl-C stops both.", flush=True)
                        await stopped.wait()
                except (ConfigError, ModuleNotFoundError):
                    raise
                except Exception as exc:
                    why = f"the bot's stop failed: {exc}" if started else start_failure(exc)
                    print(f"tgserve run: {why}", file=sys.stderr, flush=True)
                    return 1
        finally:
            await tg.stop()
    print("tgserve: stopped.", flush=True)
    return 0


def _on_telegram(args: argparse.Namespace, token: str) -> int:
    from tgserve._hosts.asgi import asgi
    from tgserve._logs import configure_logging
    from tgserve.cli._preflight import check_port, reach_store
    from tgserve.cli._serve import uvicorn_options
    from tgserve.cli._webhook import call

    configure_logging(args.log_level)
    import uvicorn

    if not args.url or not args.url.startswith("https://"):
        given = (
            f"--url {args.url} is not https:// (Telegram posts only to https)"
            if args.url
            else ("pass --url https://<public address>")
        )
        print(
            f"tgserve run: with TELEGRAM_BOT_TOKEN set, {given}; "
            "unset the token to run on a local Telegram",
            file=sys.stderr,
        )
        return 2
    host = args.host or "0.0.0.0"
    check_port(host, args.port, "--port")
    secret = os.environ.get("TGSERVE_SECRET_TOKEN") or secrets.token_urlsafe(32)
    target, bot = load_target(args.bot)
    app = asgi(target, bot=bot, token=token, secret_token=secret)
    reach_store(app.runtime.config)
    params: dict[str, Any] = {
        "url": args.url.rstrip("/") + app.runtime.config.path,
        "secret_token": secret,
        "drop_pending_updates": args.drop_pending,
    }
    from tgserve._webhook_setup.update_types import allowed_updates_for

    if args.allowed_updates:
        params["allowed_updates"] = [u.strip() for u in args.allowed_updates.split(",")]
    else:
        params["allowed_updates"] = list(
            allowed_updates_for(app.runtime.config, app.runtime.adapter)
        )
    ok, answer = call(token, "setWebhook", params)
    if not ok:
        print(f"tgserve run: setWebhook failed: {answer}", file=sys.stderr)
        return 1
    print(f"tgserve: webhook set to {params['url']}; serving on port {args.port}", flush=True)
    options = uvicorn_options()
    log_level = (args.log_level or os.environ.get("TGSERVE_LOG_LEVEL") or "info").lower()
    uvicorn.run(app, host=host, port=args.port, lifespan="on", log_level=log_level, **options)
    return 0

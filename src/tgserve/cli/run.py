"""``tgserve run BOT``: the bot on a local Telegram, or on Telegram with a token and --url."""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
from typing import Any

from tgserve.cli._signals import stop_signals
from tgserve.cli.target import TargetError, load_target


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
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    token = os.environ.get("TELEGRAM_BOT_TOKEN")
    try:
        if token:
            return _on_telegram(args, token)
        return asyncio.run(_locally(args))
    except TargetError as exc:
        print(f"tgserve: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"tgserve run: {exc}", file=sys.stderr)
        return 1


async def _locally(args: argparse.Namespace) -> int:
    from tgserve.emulator import Emulator
    from tgserve.emulator.local import serve_bot

    host = args.host or "127.0.0.1"
    tg = Emulator(host=host, port=args.emulator_port)
    async with stop_signals() as stopped:
        await tg.start()
        try:
            os.environ["TELEGRAM_BOT_TOKEN"] = tg.token
            os.environ["TGSERVE_API_URL"] = tg.api_url
            target, bot = load_target(args.bot)
            tg.world.add_user("You", "you")
            async with serve_bot(tg, target, bot=bot, host=host, port=args.port):
                print(
                    f"tgserve: {args.bot} runs on a local Telegram. Chat with it: {tg.url}",
                    flush=True,
                )
                print("Ctrl-C stops both.", flush=True)
                await stopped.wait()
        finally:
            os.environ.pop("TELEGRAM_BOT_TOKEN", None)
            await tg.stop()
    print("tgserve: stopped.", flush=True)
    return 0


def _on_telegram(args: argparse.Namespace, token: str) -> int:
    import uvicorn

    from tgserve.cli.webhook import call
    from tgserve.hosts.asgi import asgi

    if not args.url or not args.url.startswith("https://"):
        print(
            "tgserve run: with TELEGRAM_BOT_TOKEN set, pass --url https://<public address> "
            "(unset the token to run on a local Telegram)",
            file=sys.stderr,
        )
        return 2
    secret = os.environ.get("TGSERVE_SECRET_TOKEN") or secrets.token_urlsafe(32)
    target, bot = load_target(args.bot)
    app = asgi(target, bot=bot, token=token, secret_token=secret)
    params: dict[str, Any] = {
        "url": args.url.rstrip("/") + app.runtime.config.path,
        "secret_token": secret,
        "drop_pending_updates": args.drop_pending,
    }
    from tgserve.webhook_setup.update_types import allowed_updates_for

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
    uvicorn.run(app, host=args.host or "0.0.0.0", port=args.port, lifespan="on")
    return 0

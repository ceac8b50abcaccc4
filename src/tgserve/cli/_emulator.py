"""``tgserve emulator``: a local Telegram Bot API server with a browser chat."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from tgserve._signals import stop_signals


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "emulator", help="run a local Telegram (Bot API server and browser chat)"
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8081)
    p.add_argument("--time-scale", type=float, default=1.0, help="shrink webhook retry delays")
    p.add_argument("--flood", action="store_true", help="answer 429 past Telegram's rate limits")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tgserve._config import ConfigError
    from tgserve.cli._preflight import check_port

    check_port(args.host, args.port, "--port")  # a taken port: one line, exit 2
    if not 0 < args.time_scale < float("inf"):  # 0 or less would retry webhooks in a busy loop
        raise ConfigError(f"--time-scale must be more than 0, got {args.time_scale}")
    return asyncio.run(_main(args))


async def _main(args: argparse.Namespace) -> int:
    from tgserve.emulator import Emulator

    tg = Emulator(host=args.host, port=args.port, time_scale=args.time_scale, flood=args.flood)
    async with stop_signals() as stopped:
        try:
            await tg.start()
        except (OSError, RuntimeError, SystemExit) as exc:
            print(f"tgserve emulator: cannot listen on {args.host}:{args.port}: {exc}")
            return 1
        tg.world.add_user("You", "you")
        print(f"Local Telegram on {tg.url}  (browser chat)", flush=True)
        print(f"Bot API: {tg.api_url}/bot<TOKEN>/<method>; any 123456:<35 characters> token works.")
        print("Ctrl-C stops it.", flush=True)
        try:
            await stopped.wait()
        finally:
            await tg.stop()
    return 0

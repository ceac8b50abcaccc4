"""``tgserve poll BOT``: long polling, one poller per bot by a lock."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser("poll", help="serve a bot by getUpdates polling")
    p.add_argument("bot", help="module:attr or path/to/file.py:attr")
    p.add_argument(
        "--delete-webhook", action="store_true", help="delete a webhook that is set, then poll"
    )
    p.add_argument(
        "--lock",
        default=None,
        help="singleton lock URL: file://[/path] (default), redis://..., postgresql://..., none",
    )
    p.add_argument("--timeout", type=int, default=30, help="long-poll timeout in seconds")
    p.add_argument("--log-level", default=None, help="else TGSERVE_LOG_LEVEL, else info")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tgserve._config import ConfigError
    from tgserve._hosts.polling import PollingError, poll
    from tgserve.cli._startup import start_up

    started = start_up(args)  # the settings poll() reads, checked before it starts
    try:
        poll(
            started.target,
            bot=started.bot,
            delete_webhook=args.delete_webhook,
            lock=args.lock,
            poll_timeout=args.timeout,
        )
    except (ConfigError, TypeError) as exc:
        print(f"tgserve: {exc}", file=sys.stderr)
        return 2
    except (PollingError, ValueError) as exc:
        print(f"tgserve: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0

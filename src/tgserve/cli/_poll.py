"""``tgserve poll BOT``: long polling, one poller per bot by a lock."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tgserve.cli._target import TargetError, load_target


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
    from tgserve._config import Config, ConfigError
    from tgserve._hosts.polling import PollingError, poll
    from tgserve._logs import configure_logging
    from tgserve.cli._preflight import reach_store

    configure_logging(args.log_level)  # TGSERVE_LOG_FORMAT=json for one JSON object a line
    try:
        target, bot = load_target(args.bot)
        reach_store(Config.load())  # the settings poll() reads, checked before it starts
    except (TargetError, ConfigError, ValueError) as exc:
        print(f"tgserve: {exc}", file=sys.stderr)
        return 2
    try:
        poll(
            target,
            bot=bot,
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

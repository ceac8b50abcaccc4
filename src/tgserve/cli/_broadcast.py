"""``tgserve broadcast send|status``: durable broadcasts (TELEGRAM_BOT_TOKEN, TGSERVE_API_URL)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any

PARSE_MODES = ("HTML", "Markdown", "MarkdownV2")


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "broadcast", help="send one message to many chats, once each, resumable"
    )
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    send = actions.add_parser("send", help="start a job (or resume one with --job)")
    send.add_argument("--chats", help="file of chat ids, one per line")
    send.add_argument("--text", help="the message text")
    send.add_argument("--parse-mode", choices=PARSE_MODES)
    send.add_argument("--job", help="resume this job instead of starting one")
    send.add_argument("--concurrency", type=int, default=8)
    status = actions.add_parser("status", help="a job's counts: sent, blocked, failed, ...")
    status.add_argument("job")
    for command in (send, status):
        command.add_argument("--store", help="store URL (default: TGSERVE_STORE)")
    p.set_defaults(func=run)


def _fail(message: str) -> int:
    print(f"tgserve broadcast: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    from tgserve._config import Config, ConfigError
    from tgserve.broadcast import ChatsError, JobError, Paused, read_chats

    token = os.environ.get("TELEGRAM_BOT_TOKEN")
    if not token:
        return _fail("set TELEGRAM_BOT_TOKEN")
    store = args.store or os.environ.get("TGSERVE_STORE")
    if not store:
        return _fail("name the job's store: --store URL or TGSERVE_STORE")
    try:
        config = Config.load({"token": token, "store": store})
        chats: list[int] = []
        if args.action == "send" and args.job is None:
            if not args.chats or args.text is None:
                return _fail("send needs --chats FILE and --text TEXT (or --job ID to resume)")
            if not args.text.strip():
                return _fail("--text is empty")
            chats = read_chats(args.chats)
        if args.action == "send" and args.concurrency < 1:
            return _fail("--concurrency must be at least 1")
        return asyncio.run(_main(args, config, chats))
    except (ChatsError, JobError, ConfigError) as exc:
        return _fail(str(exc))
    except Paused as exc:
        print(f"\ntgserve broadcast: {exc}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print("\ntgserve broadcast: interrupted; resume with --job ID", file=sys.stderr)
        return 130
    except (OSError, ValueError) as exc:
        from tgserve import _redact as redact

        return _fail(redact.redact(f"{type(exc).__name__}: {exc}"))


async def _main(args: argparse.Namespace, config: Any, chats: list[int]) -> int:
    from tgserve.broadcast import Broadcaster, Progress

    assert config.token is not None
    caster = Broadcaster(
        config.token,
        store=config.store,
        api_url=config.api_url,
        limits=config.limits,
        concurrency=getattr(args, "concurrency", 8),
    )
    async with caster:
        if args.action == "status":
            progress = await caster.status(args.job)
            print(f"job {args.job}: {progress.line()}")
            return 0
        job = args.job
        if job is None:
            params = {"text": args.text, "parse_mode": args.parse_mode}
            job = await caster.create(chats, **params)
            print(f"job {job}: {len(chats)} chats", flush=True)
        else:
            progress = await caster.status(job)
            print(f"job {job}: resuming at {progress.line()}", flush=True)

        def show(progress: Progress) -> None:
            width = 30
            filled = width * progress.done // max(progress.total, 1)
            bar = "#" * filled + "-" * (width - filled)
            print(f"\r[{bar}] {progress.line()}", end="", file=sys.stderr, flush=True)

        progress = await caster.run(job, on_progress=show)
        print(file=sys.stderr)
        print(f"job {job}: done, {progress.line()}", flush=True)
        return 0

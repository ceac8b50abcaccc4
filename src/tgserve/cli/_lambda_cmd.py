"""``tgserve lambda invoke|event``: run the Lambda handler locally, and print sample events."""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tgserve._gate import SECRET_HEADER
from tgserve._hosts.lambda_samples import SOURCES, LocalContext, Source, event
from tgserve.cli._target import TargetError, import_bot_module, load_target

if TYPE_CHECKING:
    from tgserve._hosts.aws_lambda import LambdaHandler

KINDS = ("post", "get", "health")


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser("lambda", help="run the AWS Lambda handler locally")
    commands = p.add_subparsers(dest="lambda_command", metavar="COMMAND", required=True)

    inv = commands.add_parser(
        "invoke", help="invoke the handler on a saved event, warm after the first call"
    )
    inv.add_argument("bot", help="module:attr or path/to/file.py:attr")
    inv.add_argument("--event", required=True, help="a JSON event file, or - for stdin")
    inv.add_argument("--repeat", type=int, default=1, help="invocations in this one process")
    inv.add_argument("--timeout", type=float, default=30.0, help="the function's timeout, s")
    inv.add_argument(
        "--sign", action="store_true", help="add the configured secret-token header to the event"
    )
    inv.add_argument("--log-level", default="warning", help="log level of the handler's logs")
    inv.set_defaults(func=invoke)

    ev = commands.add_parser("event", help="print a sample event")
    ev.add_argument("kind", choices=KINDS, help="an update (post), GET {path}, or GET /healthz")
    ev.add_argument("--source", choices=SOURCES, default="http")
    ev.add_argument("--path", default="/webhook", help="the webhook route")
    ev.add_argument("--stage", default=None, help="a named stage in front of the path")
    ev.add_argument("--text", default="/start", help="the sample message's text")
    ev.set_defaults(func=print_event)


def sample(kind: str, source: Source, path: str, stage: str | None, text: str) -> dict[str, Any]:
    """A sample event: an update from a private chat, an info request, or a health check."""
    if kind == "health":
        return event(source, "GET", "/healthz", stage=stage)
    if kind == "get":
        return event(source, "GET", path, stage=stage)
    user = {"id": 10001, "is_bot": False, "first_name": "Sample", "language_code": "en"}
    message = {
        "message_id": 1,
        "date": int(time.time()),
        "chat": {"id": 10001, "type": "private", "first_name": "Sample"},
        "from": user,
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    body = json.dumps({"update_id": int(time.time()) % 1_000_000_000, "message": message})
    headers = {"content-type": "application/json"}
    return event(source, "POST", path, headers, body.encode(), stage=stage)


def print_event(args: argparse.Namespace) -> int:
    print(json.dumps(sample(args.kind, args.source, args.path, args.stage, args.text), indent=2))
    return 0


def sign(ev: dict[str, Any], secret: str) -> None:
    """Put the secret-token header into every header block the event has."""
    multi = ev.get("multiValueHeaders")
    if isinstance(multi, dict):
        multi[SECRET_HEADER] = [secret]
    if isinstance(ev.get("headers"), dict) or not isinstance(multi, dict):
        ev["headers"] = {**(ev.get("headers") or {}), SECRET_HEADER: secret}


def _read(spec: str) -> dict[str, Any]:
    try:
        text = sys.stdin.read() if spec == "-" else Path(spec).read_text(encoding="utf-8")
    except OSError as exc:
        raise TargetError(f"cannot read the event: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except ValueError:
        raise TargetError("the event is not JSON") from None
    if not isinstance(data, dict):
        raise TargetError("the event is not a JSON object")
    return data


def _handler(spec: str) -> LambdaHandler:
    """The handler AWS calls (``bot.py:handler``, built with tgserve.aws_lambda), or one
    built here around the bot that ``spec`` names."""
    from tgserve._hosts.aws_lambda import LambdaHandler, aws_lambda

    module_name, _, attr = spec.partition(":")
    if attr:
        named = getattr(import_bot_module(module_name), attr, None)
        if isinstance(named, LambdaHandler):
            return named
    target, bot = load_target(spec)
    return aws_lambda(target, bot=bot)


def invoke(args: argparse.Namespace) -> int:
    from tgserve._config import ConfigError
    from tgserve.cli._preflight import reach_store

    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s %(message)s")
    if args.repeat < 1:
        print("tgserve: --repeat must be at least 1", file=sys.stderr)
        return 2
    try:
        ev = _read(args.event)
        handler = _handler(args.bot)
        reach_store(handler.runtime.config)
    except (TargetError, ConfigError, TypeError, ValueError) as exc:
        print(f"tgserve: {exc}", file=sys.stderr)
        return 2
    if args.sign and handler.runtime.config.secret_token:
        sign(ev, handler.runtime.config.secret_token)
    times: list[float] = []
    status = 0
    try:
        for _ in range(args.repeat):
            began = time.perf_counter()
            result = handler(json.loads(json.dumps(ev)), LocalContext(args.timeout))
            times.append((time.perf_counter() - began) * 1000)
            status = int(result.get("statusCode", 0))
            print(json.dumps(result), flush=True)
    finally:
        handler.close()
    warm = f", warm median {statistics.median(times[1:]):.2f} ms" if len(times) > 1 else ""
    print(f"{len(times)} invocation(s): first {times[0]:.1f} ms{warm}", file=sys.stderr)
    return 0 if status < 400 else 1

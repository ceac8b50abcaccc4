"""The ``tgserve`` command. Each subcommand lives in its own module, imported only when used."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# name -> "module:register"; register(subparsers) adds the subcommand with set_defaults(func=...)
COMMANDS: dict[str, str] = {
    "run": "tgserve.cli._run:register",
    "emulator": "tgserve.cli._emulator:register",
    "lambda": "tgserve.cli._lambda_cmd:register",
    "webhook": "tgserve.cli._webhook:register",
    "poll": "tgserve.cli._poll:register",
    "serve": "tgserve.cli._serve:register",
    "worker": "tgserve.cli._worker:register",
    "broadcast": "tgserve.cli._broadcast:register",
}


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tgserve", description="Serve async Telegram bots.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    wanted = next((a for a in argv if not a.startswith("-")), None)
    for name, target in COMMANDS.items():
        if wanted in COMMANDS and name != wanted:
            sub.add_parser(name)  # listed in help, not loaded
            continue
        module, _, attr = target.partition(":")
        getattr(importlib.import_module(module), attr)(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tgserve`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(argv).parse_args(argv)
    from tgserve.cli._errors import run_command

    return run_command(args.func, args)


if __name__ == "__main__":
    raise SystemExit(main())

"""A Lambda function as a user deploys it: ``tgserve.aws_lambda(bot)``, configured from the
environment; run by awslambdaric in test_awslambdaric.py.

The bot appends ``update_id pid`` to ``TGSERVE_TEST_LOG``; the text ``slow`` outlasts any
deadline, ``fail`` raises. An event with ``crash`` makes the function itself raise, as a
user's wrapper around the handler might: an invocation error.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import tgserve

LOG = os.environ["TGSERVE_TEST_LOG"]


async def bot(update: dict[str, Any], api: tgserve.BotAPI) -> None:
    text = (update.get("message") or {}).get("text")
    if text == "slow":
        await asyncio.sleep(60)
    if text == "fail":
        raise RuntimeError("the bot failed on purpose")
    with open(LOG, "a") as log:
        log.write(f"{update['update_id']} {os.getpid()}\n")


webhook = tgserve.aws_lambda(bot, init_at_import=os.environ.get("TEST_INIT_AT_IMPORT") == "1")


def handler(event: Any, context: Any) -> Any:
    if isinstance(event, dict) and event.get("crash"):
        raise ValueError("a crash on purpose")
    return webhook(event, context)

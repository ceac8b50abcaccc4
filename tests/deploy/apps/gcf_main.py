"""A Cloud Function as a user deploys it: ``handler = tgserve.gcf(bot)``, configured from
the environment; run by the ``functions-framework`` command in test_gcf.py. The bot appends
each update id to ``TGSERVE_TEST_LOG`` (``slow`` takes a second first)."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import tgserve


async def bot(update: dict[str, Any], api: tgserve.BotAPI) -> None:
    if (update.get("message") or {}).get("text") == "slow":
        await asyncio.sleep(1)
    with open(os.environ["TGSERVE_TEST_LOG"], "a") as log:
        log.write(f"{update['update_id']}\n")


handler = tgserve.gcf(bot)

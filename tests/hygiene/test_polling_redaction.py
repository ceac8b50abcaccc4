"""The polling host at DEBUG against the emulator: its token appears in no log line."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest

import tgserve
from tests.conftest import LogWatch
from tests.hygiene.conftest import JSONLines
from tgserve import _redact as redact
from tgserve._hosts.polling import Poller
from tgserve._runtime import Runtime
from tgserve.emulator import Emulator

pytestmark = pytest.mark.timeout(60)


async def test_polling_logs_no_token(jsonlog: JSONLines, logwatch: LogWatch) -> None:
    seen: list[int] = []

    async with Emulator() as tg:
        token = tg.token
        assert redact.TOKEN_RE.fullmatch(token)

        async def handler(update: dict[str, Any], bot: tgserve.BotAPI) -> None:
            seen.append(update["update_id"])
            await bot.call("sendMessage", chat_id=update["message"]["chat"]["id"], text="ok")
            if update["message"]["text"] == "fail":
                raise ValueError(f"failed near {bot.file_url('x')}")

        config = tgserve.Config.load({"token": token, "api_url": tg.api_url}, env={})
        runtime = Runtime(handler, config, host="polling")
        api = tgserve.BotAPI(token, tg.api_url, max_retries=0)
        poller = Poller(runtime, api, timeout=1)
        task = asyncio.ensure_future(poller.run())
        try:
            user = tg.user("ann")
            for text in ("one", "fail", "two"):
                await user.send(text)
            async with asyncio.timeout(10):
                while len(seen) < 3:
                    await asyncio.sleep(0.01)
        finally:
            poller.stop()
            await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), 10)
            await api.close()
    for lines in (jsonlog.lines, logwatch.lines):
        text = "\n".join(lines)
        assert token not in text and token.split(":")[1] not in text
    assert any(redact.MASK in line for line in jsonlog.lines)
    failures = [json.loads(line) for line in jsonlog.lines if "handler failed" in line]
    assert len(failures) == 1
    assert failures[0]["host"] == "polling" and failures[0]["outcome"] == "failed"
    assert "ValueError" in failures[0]["exc"]
    assert logging.getLogger().level == logging.DEBUG  # the logwatch's level: DEBUG everywhere

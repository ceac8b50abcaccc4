"""``tgserve webhook info`` reads as a person wants: pending count, age of the last error."""

from __future__ import annotations

import asyncio
import os
import sys
import time

from tests.conftest import TOKEN
from tests.webhook_setup.recorder import RecordingBotAPI


async def cli(api: RecordingBotAPI, *args: str) -> tuple[int, str, str]:
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "TGSERVE_API_URL": api.api_url}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tgserve",
        "webhook",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_info_shows_pending_and_the_last_errors_age() -> None:
    async with RecordingBotAPI() as api:
        api.webhook = {
            "url": "https://bot.example.com/webhook",
            "pending_update_count": 12,
            "max_connections": 40,
            "last_error_date": int(time.time()) - 300,
            "last_error_message": "Wrong response from the webhook: 502 Bad Gateway",
            "allowed_updates": ["message", "chat_member"],
        }
        code, out, err = await cli(api, "info")
        assert code == 0, err
        assert "pending updates:  12" in out
        assert "5 min ago: Wrong response from the webhook: 502 Bad Gateway" in out
        assert "allowed updates:  message, chat_member" in out and TOKEN not in out
        code, out, _ = await cli(api, "info", "--json")
        assert code == 0 and '"pending_update_count": 12' in out
        api.webhook = {"url": "", "pending_update_count": 0}
        code, out, _ = await cli(api, "info")
        assert "url:              (none" in out and "last error:       none" in out

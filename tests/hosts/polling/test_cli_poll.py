"""``tgserve poll``: a webhook in the way is one clear line, and --delete-webhook polls."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest
from tests.conftest import TOKEN
from tests.hosts.polling.procs import Poller, clean, wait_handled

import tgserve
from tgserve.emulator import Emulator

pytestmark = pytest.mark.timeout(60)


async def test_webhook_set_is_one_line_then_delete_webhook_polls(tmp_path: Path) -> None:
    async with Emulator(tokens=[TOKEN]) as tg:
        api = tgserve.BotAPI(TOKEN, tg.api_url)
        await api.call("setWebhook", url="https://example.invalid/webhook")
        await api.close()
        log, out = tmp_path / "handled.log", tmp_path / "poller.out"
        refused = Poller(tg.api_url, log, out)
        refused.start()
        assert refused.popen is not None
        assert await asyncio.to_thread(refused.popen.wait, 30) == 1
        last = clean(out).strip().splitlines()[-1]
        assert last.startswith("tgserve: a webhook is set") and "--delete-webhook" in last

        polling = Poller(tg.api_url, log, tmp_path / "second.out", extra=["--delete-webhook"])
        polling.start()
        try:
            await tg.user("ann").send("hi")
            await wait_handled(log, 1)
            assert await polling.signal(signal.SIGTERM) == 0
        finally:
            polling.kill()
        assert "deleted the bot's webhook" in clean(tmp_path / "second.out")
        assert tg.bot().webhook is None

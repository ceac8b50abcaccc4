"""A store that goes away mid-update: the save is retried, then the update is answered 503."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

import tgserve
from tests.conftest import TOKEN
from tests.conftest_servers import redis_server
from tgserve._config import Config
from tgserve._runtime import Runtime
from tgserve.state import chat_state

pytestmark = pytest.mark.timeout(60)


def update(update_id: int) -> dict[str, Any]:
    chat = {"id": 5, "type": "private", "first_name": "u"}
    return {
        "update_id": update_id,
        "message": {"message_id": 1, "date": 0, "chat": chat, "text": "hi"},
    }


async def test_inline_update_is_answered_503_when_the_store_goes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import redis.asyncio as aioredis

    with redis_server() as url:

        async def handle(update: dict[str, Any], bot: tgserve.BotAPI) -> None:
            (await chat_state())["n"] = update["update_id"]
            if update["update_id"] == 2:  # the store dies while this handler runs
                admin = aioredis.from_url(url)
                with contextlib.suppress(Exception):
                    await admin.shutdown(nosave=True)
                await admin.aclose()

        options = {"store": url, "ack": "inline", "token": TOKEN, "api_url": "http://127.0.0.1:9"}
        runtime = Runtime(handle, Config.load(options, env={}))
        await runtime.start()
        try:
            assert (await runtime.accept(update(1))).status == 200
            gone = await runtime.accept(update(2))
        finally:
            await runtime.stop()
    assert gone.status == 503
    assert b"store cannot be reached" in gone.body
    assert "state save failed" in caplog.text  # retried before giving up
    assert "could not save state" in caplog.text

from __future__ import annotations

from typing import Any

import httpx
from tests.conftest import TOKEN

import tgserve
from tgserve.testing import BotAPIStub, serve


async def test_plain_bot_over_uvicorn() -> None:
    stub = BotAPIStub()

    async def handle(update: dict[str, Any], bot: tgserve.BotAPI) -> None:
        msg = update["message"]
        await bot.call("sendMessage", chat_id=msg["chat"]["id"], text=msg["text"])

    async with serve(stub) as api_url:
        app = tgserve.asgi(handle, token=TOKEN, api_url=api_url)
        async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
            update = {"update_id": 1, "message": {"message_id": 1, "chat": {"id": 5}, "text": "hi"}}
            r = await client.post("/webhook", json=update)
            assert r.status_code == 200
            await stub.wait_for(1)
            assert stub.sent()[0].params == {"chat_id": 5, "text": "hi"}
            r = await client.get("/readyz")
            assert r.status_code == 200

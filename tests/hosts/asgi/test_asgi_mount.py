"""The ASGI app mounted in FastAPI and Starlette, where sub-app lifespan is not forwarded."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from tests.conftest import TOKEN

import tgserve
from tgserve.testing import BotAPIStub, serve

pytestmark = pytest.mark.timeout(30)

UPDATE = {"update_id": 1, "message": {"message_id": 1, "chat": {"id": 2}, "text": "hi"}}


async def echo(update: dict[str, Any], bot: tgserve.BotAPI) -> None:
    message = update["message"]
    await bot.call("sendMessage", chat_id=message["chat"]["id"], text=message["text"])


@pytest.mark.parametrize("framework", ["fastapi", "starlette"])
async def test_mounted_app_starts_on_first_request(framework: str) -> None:
    stub = BotAPIStub()
    async with serve(stub) as api_url:
        bot_app = tgserve.asgi(echo, token=TOKEN, api_url=api_url)
        parent: Any
        if framework == "fastapi":
            from fastapi import FastAPI

            parent = FastAPI()

            @parent.get("/")
            def index() -> dict[str, str]:
                return {"app": "main"}

            parent.mount("/tg", bot_app)
        else:
            from starlette.applications import Starlette
            from starlette.routing import Mount

            parent = Starlette(routes=[Mount("/tg", app=bot_app)])
        async with serve(parent) as url, httpx.AsyncClient(base_url=url) as client:
            assert bot_app.runtime.state == "new"
            r = await client.post("/tg/webhook", json=UPDATE)
            assert r.status_code == 200, r.text
            await stub.wait_for(1)
            assert bot_app.runtime.state == "running"
            assert (await client.get("/tg/readyz")).status_code == 200
            assert (await client.get("/tg/nope")).status_code == 404
    await bot_app.runtime.stop()


async def test_fastapi_lifespan_helper_starts_and_drains() -> None:
    from fastapi import FastAPI

    stub = BotAPIStub()
    async with serve(stub) as api_url:
        bot_app = tgserve.asgi(echo, token=TOKEN, api_url=api_url)
        parent = FastAPI(lifespan=bot_app.lifespan)
        parent.mount("/tg", bot_app)
        async with serve(parent) as url, httpx.AsyncClient(base_url=url) as client:
            assert bot_app.runtime.state == "running"
            assert (await client.post("/tg/webhook", json=UPDATE)).status_code == 200
            await stub.wait_for(1)
        assert bot_app.runtime.state == "stopped"


def test_loop_exit_stops_a_lazily_started_app() -> None:
    """asyncio.run cancels leftover tasks at exit; the runtime stops on that loop, cleanly."""
    stub_calls: list[str] = []

    async def handler(update: dict[str, Any], bot: tgserve.BotAPI) -> None:
        stub_calls.append("handled")

    app = tgserve.asgi(handler, token=TOKEN)

    async def main() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (await client.post("/webhook", json=UPDATE)).status_code == 200
        await asyncio.sleep(0.01)

    asyncio.run(main())
    assert app.runtime.state == "stopped" and stub_calls == ["handled"]

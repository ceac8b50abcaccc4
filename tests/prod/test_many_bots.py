"""Many bots in one process: a route, secret, runtime and store namespace per bot."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

import tgserve
from tests.conftest import TOKEN
from tests.conftest_servers import free_port
from tgserve._config import ConfigError
from tgserve._inloop import InLoopServer
from tgserve.emulator import Emulator

pytestmark = pytest.mark.timeout(120)
BOTS = 50


def secret(i: int) -> str:
    return f"secret-of-bot-{i:02d}_xyz"


def update(update_id: int) -> bytes:
    message = {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}, "text": "x"}
    return json.dumps({"update_id": update_id, "message": message}).encode()


def make_bot(i: int, seen: dict[int, list[int]]) -> Any:
    async def handle(upd: dict[str, Any], bot: tgserve.BotAPI) -> None:
        seen.setdefault(i, []).append(upd["update_id"])
        message = upd.get("message")
        if message and message.get("from"):
            count = len(seen[i])
            text = f"bot {i} heard {message['text']!r} ({count})"
            await bot.call("sendMessage", chat_id=message["chat"]["id"], text=text)

    return handle


async def test_fifty_bots_on_one_server(tmp_path: Path) -> None:
    seen: dict[int, list[int]] = {}
    async with Emulator() as tg:
        alice = tg.user("alice")
        tokens = [tg.add_bot(f"Bot {i}", f"bot{i}_bot") for i in range(BOTS)]
        for _ in range(5):  # a free port can be taken before the server binds it: try another
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            app = tgserve.asgi(
                {
                    f"b{i}": tgserve.spec(make_bot(i, seen), token=token, secret_token=secret(i))
                    for i, token in enumerate(tokens)
                },
                webhook_url=f"{base}/webhook",  # the deployment's: each bot's is {this}/{its id}
                api_url=tg.api_url,
                store=f"sqlite:///{tmp_path}/bots-{port}.db",
                gc_freeze=False,
            )
            server = InLoopServer(app, port=port, lifespan="on")
            try:
                await server.start()
                break
            except OSError:
                continue
        else:
            raise AssertionError("no free port could be bound in 5 tries")
        try:
            for i, token in enumerate(tokens):  # each bot registered its own webhook
                hook = tg.bot(token).webhook
                assert hook is not None and hook.url == f"{base}/webhook/b{i}"
                assert hook.secret_token == secret(i)
            for i, token in enumerate(tokens):
                await alice.send(f"hi {i}", bot=token)
            for i, token in enumerate(tokens):
                reply = await alice.chat_with(token).wait_for_text(f"bot {i} heard", timeout=20)
                assert reply.text == f"bot {i} heard 'hi {i}' (1)"

            async with httpx.AsyncClient(base_url=base) as client:

                async def post(route: str, key: str, update_id: int) -> int:
                    headers = {
                        "x-telegram-bot-api-secret-token": key,
                        "content-type": "application/json",
                    }
                    reply = await client.post(
                        f"/webhook/{route}", headers=headers, content=update(update_id)
                    )
                    return reply.status_code

                assert await post("b1", secret(0), 900) == 401  # bot 0's secret on bot 1
                assert await post("b1", secret(1), 900) == 200
                assert await post("b1", secret(1), 900) == 200  # a duplicate for bot 1
                assert await post("b2", secret(2), 900) == 200  # the same id, another bot
                assert await post("nobody", secret(1), 900) == 404
                async with asyncio.timeout(10):
                    while 900 not in seen.get(2, []) or 900 not in seen.get(1, []):
                        await asyncio.sleep(0.01)
                await asyncio.sleep(0.05)
                assert seen[1].count(900) == 1 and seen[2].count(900) == 1
                assert all(len(seen[i]) == 1 for i in range(3, BOTS))  # state per bot

                info = (await client.get("/webhook/b7")).json()
                assert info["path"] == "/webhook/b7" and info["counts"]["handled"] == 1
                assert tokens[7] not in json.dumps(info) and secret(7) not in json.dumps(info)
                ready = await client.get("/readyz")
                assert ready.status_code == 200 and ready.json()["bots"] == BOTS
                scrape = (await client.get("/metrics")).text
                assert 'tgserve_updates_total{bot="b1",outcome="duplicate"} 1.0' in scrape
                assert 'tgserve_updates_total{bot="b2",outcome="duplicate"} 0.0' in scrape
                assert 'tgserve_requests_rejected_total{bot="b1",status="401"} 1.0' in scrape

                # a bot added and removed while serving
                late = tg.add_bot("Late", "late_bot")
                await app.bots.add("late", make_bot(99, seen), token=late, secret_token="late-1")
                assert await post("late", "late-1", 5) == 200
                await app.bots.remove("late")
                assert await post("late", "late-1", 6) == 404
                assert (await client.get("/readyz")).status_code == 200
        finally:
            await server.stop()
    assert [seen[99]] == [[5]]


def test_two_bots_with_one_token_or_a_token_route_are_refused() -> None:
    async def handle(upd: dict[str, Any], bot: tgserve.BotAPI) -> None:
        return None

    with pytest.raises(ConfigError, match="have one token") as caught:
        tgserve.asgi(
            {"a": tgserve.spec(handle, token=TOKEN), "b": tgserve.spec(handle, token=TOKEN)}
        )
    assert "\n" not in str(caught.value) and TOKEN not in str(caught.value)
    for route in (TOKEN, "123456789"):
        with pytest.raises(ConfigError, match="looks like a bot token") as caught:
            tgserve.asgi({route: handle}, token=TOKEN)
        assert TOKEN not in str(caught.value)
    with pytest.raises(ConfigError, match="must be 1-64"):
        tgserve.asgi({"a/b": handle}, token=TOKEN)

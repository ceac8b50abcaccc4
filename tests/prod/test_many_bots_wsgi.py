"""Many bots behind one WSGI app (werkzeug on a real socket, one keep-alive connection)."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import httpx

import tgserve
from tests.conftest import TOKEN
from tgserve import _loopthread as loopthread
from tgserve._hosts.wsgi_bots import BotsWSGIApp

TOKENS = [f"{1000 + i}:AA" + "x" * 33 for i in range(5)]


def update(update_id: int) -> bytes:
    message = {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}, "text": "x"}
    return json.dumps({"update_id": update_id, "message": message}).encode()


async def test_bots_behind_one_wsgi_app() -> None:
    from werkzeug.serving import WSGIRequestHandler, make_server

    seen: dict[str, list[int]] = {}

    def make(name: str) -> Any:
        async def handle(upd: dict[str, Any], bot: tgserve.BotAPI) -> None:
            seen.setdefault(name, []).append(upd["update_id"])

        return handle

    app = tgserve.wsgi(
        {
            f"w{i}": tgserve.spec(make(f"w{i}"), token=token, secret_token=f"wsgi-secret-{i}")
            for i, token in enumerate(TOKENS)
        },
        ack="inline",
    )
    assert isinstance(app, BotsWSGIApp) and TOKEN not in TOKENS

    class KeepAlive(WSGIRequestHandler):
        protocol_version = "HTTP/1.1"

    httpd = make_server("127.0.0.1", 0, app, threaded=True, request_handler=KeepAlive)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    try:
        url = f"http://127.0.0.1:{httpd.server_port}"
        async with httpx.AsyncClient(base_url=url, limits=limits) as client:

            async def post(route: str, key: str, update_id: int, body: bytes | None = None) -> int:
                headers = {
                    "x-telegram-bot-api-secret-token": key,
                    "content-type": "application/json",
                }
                reply = await client.post(
                    f"/webhook/{route}", headers=headers, content=body or update(update_id)
                )
                return reply.status_code

            assert await post("w0", "wsgi-secret-0", 1) == 200
            assert await post("w0", "wsgi-secret-0", 1) == 200  # duplicate: not handled again
            assert await post("w1", "wsgi-secret-1", 1) == 200  # same id, another bot
            assert await post("w1", "wsgi-secret-0", 2) == 401
            assert await post("w9", "wsgi-secret-0", 2) == 404
            assert await post("w2", "wsgi-secret-2", 3, b"{" * 2_000_000) == 413
            assert (await client.get("/readyz")).status_code == 200
            assert (await client.get("/webhook/w1")).json()["counts"]["handled"] == 1
            scrape = (await client.get("/metrics")).text
            assert 'tgserve_updates_total{bot="w0",outcome="duplicate"} 1.0' in scrape
        assert seen == {"w0": [1], "w1": [1]}
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
        await asyncio.to_thread(lambda: loopthread.run(app.bots.stop(0), 10))

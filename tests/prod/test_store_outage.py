"""A store that goes away mid-run (real Redis and PostgreSQL, SIGKILLed and restarted):
503 with Retry-After and one log line in every ack mode, /readyz 503 while it is away,
and every update handled once it is back, as Telegram delivers again what got a 503."""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import tgserve
from tests.conftest import SECRET, TOKEN, LogWatch
from tests.prod.outage import PostgresServer, RedisServer, Restartable
from tgserve.testing import serve

pytestmark = pytest.mark.timeout(120)
HEADERS = {"x-telegram-bot-api-secret-token": SECRET, "content-type": "application/json"}


def update(update_id: int) -> bytes:
    message = {"message_id": update_id, "date": 0, "chat": {"id": update_id % 3}, "text": "x"}
    return json.dumps({"update_id": update_id, "message": message}).encode()


@pytest.fixture(params=["redis", "postgresql"], scope="module")
def server(request: pytest.FixtureRequest) -> Iterator[Restartable]:
    folder = Path(tempfile.mkdtemp(prefix="tgserve-outage-"))  # postgres can enter it
    try:
        kind = RedisServer if request.param == "redis" else PostgresServer
        store: Restartable = kind(folder)
        store.start()
        try:
            yield store
        finally:
            store.kill()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def deliver(client: httpx.AsyncClient, ids: list[int]) -> dict[int, int]:
    """Post each update once, as Telegram does; the status of each."""
    out: dict[int, int] = {}
    for update_id in ids:
        reply = await client.post("/webhook", headers=HEADERS, content=update(update_id))
        out[update_id] = reply.status_code
        if reply.status_code == 503:
            assert reply.headers["retry-after"].isdigit()
            assert reply.json()["ok"] is False
    return out


@pytest.mark.parametrize("ack", ["inline", "background", "queue"])
async def test_store_goes_away_and_comes_back(
    server: Restartable, ack: str, logwatch: LogWatch
) -> None:
    handled: list[int] = []

    async def handle(upd: dict[str, Any], bot: tgserve.BotAPI) -> None:
        handled.append(upd["update_id"])

    base = {"inline": 1000, "background": 2000, "queue": 3000}[ack]
    app = tgserve.asgi(
        handle, token=TOKEN, secret_token=SECRET, store=server.url, ack=ack, lease=2,
        gc_freeze=False,
    )  # fmt: skip
    async with serve(app, lifespan="on") as url, httpx.AsyncClient(base_url=url, timeout=10) as c:
        before = list(range(base, base + 5))
        assert set((await deliver(c, before)).values()) == {200}
        assert (await c.get("/readyz")).status_code == 200

        server.kill()
        during = list(range(base + 5, base + 10))
        statuses = await deliver(c, during)
        assert set(statuses.values()) == {503}, statuses
        ready = await c.get("/readyz")
        assert ready.status_code == 503 and ready.json()["store_reachable"] is False

        server.start()
        for _ in range(100):
            if (await c.get("/readyz")).status_code == 200:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("readyz never came back")
        redelivered = during
        for _ in range(50):  # Telegram delivers again what was not answered 200
            statuses = await deliver(c, redelivered)
            redelivered = [i for i, status in statuses.items() if status != 200]
            if not redelivered:
                break
            await asyncio.sleep(0.2)
        assert redelivered == []
        async with asyncio.timeout(20):
            while not set(before + during) <= set(handled):
                await asyncio.sleep(0.05)
    assert sorted(set(handled)) == before + during  # nothing lost
    ours = [line for line in logwatch.lines if line.startswith(("tgserve", "uvicorn"))]
    assert not [line for line in ours if "Traceback" in line]  # asyncpg's pool logs its own
    assert " 500 " not in logwatch.text()
    went = [line for line in logwatch.lines if "unreachable (" in line]
    back = [line for line in logwatch.lines if "reachable again" in line]
    assert len(went) == 1 and len(back) == 1, went + back

"""Many bots, one of them on a store that goes away (a real redis-server, SIGKILLed and
started again): the deployment's /readyz is 503 by the one-bot rule, naming that bot."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import tgserve
from tests.conftest import TOKEN
from tests.prod.outage import RedisServer
from tgserve.testing import serve

pytestmark = pytest.mark.timeout(60)
OTHER = "987654321:AAF" + "q3Lm8Rt1Vx6Zb2Nc7Hd4Jk9Wp0Ys5U_a"


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    folder = Path(tempfile.mkdtemp(prefix="tgserve-bots-outage-"))
    server = RedisServer(folder)
    server.start()
    try:
        yield server
    finally:
        server.kill()
        shutil.rmtree(folder, ignore_errors=True)


async def ignore(update: dict[str, Any], bot: tgserve.BotAPI) -> None:
    return None


async def test_many_bot_readiness_answers_503_while_a_bots_store_is_away(
    redis: RedisServer,
) -> None:
    app = tgserve.asgi(
        {
            "shared": tgserve.spec(ignore, token=TOKEN, store=redis.url),
            "local": tgserve.spec(ignore, token=OTHER, store="memory://"),
        },
        gc_freeze=False,
    )
    async with serve(app, lifespan="on") as url, httpx.AsyncClient(base_url=url, timeout=10) as c:
        ready = await c.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"ok": True, "bots": 2, "not_ready": [], "store_unreachable": []}

        redis.kill()
        down = await c.get("/readyz")
        assert down.status_code == 503
        assert down.json() == {
            "ok": False,
            "bots": 2,
            "not_ready": ["shared"],
            "store_unreachable": ["shared"],
        }
        assert (await c.get("/webhook/shared")).json()["state"] == "running"  # still serving

        redis.start()
        for _ in range(100):
            if (await c.get("/readyz")).status_code == 200:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the deployment's /readyz never came back")

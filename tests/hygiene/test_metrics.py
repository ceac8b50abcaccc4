"""GET /metrics: Prometheus names and values that match GET {path}'s counts."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

import tgserve
from tests.conftest import SECRET, TOKEN
from tgserve.testing import BotAPIStub, serve

pytestmark = pytest.mark.timeout(60)

GOOD = {"x-telegram-bot-api-secret-token": SECRET, "content-type": "application/json"}


def update(update_id: int) -> bytes:
    message = {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}, "text": "x"}
    return json.dumps({"update_id": update_id, "message": message}).encode()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[s.name, tuple(sorted(s.labels.items()))] = s.value
    return out


async def bot(update: dict[str, Any], api: tgserve.BotAPI) -> None:
    await api.call("sendMessage", chat_id=5, text="hi")
    if update["update_id"] == 3:
        raise RuntimeError("handler failed on purpose")


async def test_scrape_matches_info() -> None:
    stub = BotAPIStub()
    stub.fail["sendMessage"] = [(429, 0), (400, None)]
    async with serve(stub) as api_url:
        app = tgserve.asgi(bot, token=TOKEN, secret_token=SECRET, api_url=api_url, ack="inline")
        async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
            for update_id in (1, 2, 3, 4, 2):
                await client.post("/webhook", content=update(update_id), headers=GOOD)
            await client.post("/webhook", content=update(9))  # no secret: 401
            await client.post("/webhook", content=b"{", headers=GOOD)  # 400
            scrape = await client.get("/metrics")
            info = (await client.get("/webhook")).json()
    assert scrape.status_code == 200
    assert scrape.headers["content-type"].startswith("text/plain; version=")
    got = samples(scrape.text)
    counts = info["counts"]

    def value(name: str, **labels: str) -> float:
        return got[name, tuple(sorted(labels.items()))]

    assert value("tgserve_updates_total", outcome="received") == counts["received"] == 5
    assert value("tgserve_updates_total", outcome="duplicate") == counts["duplicates"] == 1
    # update 1: 429 then retried, 2: a 400 from the stub fails it, 3: fails on purpose
    assert value("tgserve_updates_total", outcome="failed") == counts["failed"] == 2
    assert value("tgserve_updates_total", outcome="handled") == counts["handled"] == 2
    assert value("tgserve_requests_rejected_total", status="401") == counts["rejected_401"] == 1
    assert value("tgserve_requests_rejected_total", status="400") == counts["rejected_400"] == 1
    assert value("tgserve_handler_seconds_count") == 4
    assert value("tgserve_handler_seconds_bucket", le="+Inf") == 4
    assert value("tgserve_updates_in_flight") == info["running"] == 0
    assert value("tgserve_queue_backlog") == 0
    assert value("tgserve_botapi_calls_total", method="sendMessage") == info["botapi"]["calls"] == 5
    assert value("tgserve_botapi_errors_total", method="sendMessage", code="429") == 1
    assert value("tgserve_botapi_errors_total", method="sendMessage", code="400") == 1
    assert value("tgserve_botapi_429_total") == info["botapi"]["429"] == 1
    assert info["botapi"]["errors"] == 2
    print("\n" + "\n".join(line for line in scrape.text.splitlines() if "_bucket" not in line))


async def test_metrics_off_is_404() -> None:
    app = tgserve.asgi(bot, token=TOKEN, metrics=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        reply = await client.get("/metrics")
    await app.runtime.stop()
    assert reply.status_code == 404 and reply.json()["ok"] is False


def test_prometheus_client_is_imported_only_by_a_scrape() -> None:
    code = """
import asyncio, sys, httpx, tgserve
async def h(u, b): pass
async def main():
    app = tgserve.asgi(h, token="1:x", ack="inline")
    t = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=t, base_url="http://t") as c:
        r = await c.post("/webhook", json={"update_id": 1})
        assert r.status_code == 200 and "prometheus_client" not in sys.modules
        r = await c.get("/metrics")
        assert r.status_code == 200 and "prometheus_client" in sys.modules
    await app.runtime.stop()
asyncio.run(main())
"""
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


async def test_queue_mode_feeds_the_histogram_and_the_backlog() -> None:
    done = 0

    async def slow_bot(update: dict[str, Any], api: tgserve.BotAPI) -> None:
        nonlocal done
        await asyncio.sleep(0.01)
        done += 1

    app = tgserve.asgi(slow_bot, token=TOKEN, ack="queue", max_concurrency=1)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for update_id in range(1, 6):
            body = json.dumps({"update_id": update_id, "message": {"chat": {"id": 1}}})
            assert (await client.post("/webhook", content=body)).status_code == 200
        async with asyncio.timeout(10):
            while done < 5:
                await asyncio.sleep(0.01)
        await asyncio.sleep(1.1)  # queue stats are read at most once a second
        got = samples((await client.get("/metrics")).text)
        info = (await client.get("/webhook")).json()
    await app.runtime.stop()
    assert got["tgserve_handler_seconds_count", ()] == 5
    assert got["tgserve_updates_total", (("outcome", "handled"),)] == info["counts"]["handled"]
    assert got["tgserve_queue_backlog", ()] == info["queue"]["backlog"] == 0

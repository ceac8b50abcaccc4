"""Queue mode in one runtime: ack once stored, per-chat order, dedup, graceful stop, info."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TOKEN
from tests.steps import respond
from tgserve import UpdateDelivery, current_delivery
from tgserve._config import Config
from tgserve._gate import Request
from tgserve._runtime import Runtime
from tgserve._webhook import Webhook

pytestmark = pytest.mark.timeout(60)


def update(update_id: int, chat: int) -> dict[str, Any]:
    return {"update_id": update_id, "message": {"chat": {"id": chat}, "text": str(update_id)}}


def post(data: dict[str, Any]) -> Request:
    return Request("POST", "/webhook", {}, json.dumps(data).encode(), "127.0.0.1")


def fresh_token() -> str:
    """A token of a new bot id: the store namespace is the bot id, so tests do not share one."""
    return f"{random.randrange(10**9, 10**10)}:{TOKEN.split(':')[1]}"


def runtime(handler: Any, store: str, **options: Any) -> Runtime:
    options = {"token": TOKEN, "ack": "queue", "store": store, **options}
    return Runtime(handler, Config.load(options, {}))


@pytest.fixture(params=["memory", "sqlite", "redis", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/q.db"
    url: str = request.getfixturevalue("redis_url" if request.param == "redis" else "postgres_url")
    return url


async def test_acks_once_stored_then_handles_each_once_in_chat_order(store: str) -> None:
    gate = asyncio.Event()
    handled: list[tuple[int, int, UpdateDelivery | None]] = []

    async def handle(data: dict[str, Any], bot: Any) -> None:
        await gate.wait()
        handled.append((data["message"]["chat"]["id"], data["update_id"], current_delivery()))

    rt = runtime(handle, store, max_concurrency=4, token=fresh_token())
    await rt.start()
    try:
        updates = [update(i, chat=i % 5) for i in range(1, 41)]
        answers = [await respond(Webhook(rt), post(u)) for u in updates + updates[::4]]
        assert {a.status for a in answers} == {200}, "acked while every handler still waits"
        assert handled == []
        info = json.loads(
            (await respond(Webhook(rt), Request("GET", "/webhook", {}, b"", "::1"))).body
        )
        assert info["ack"] == "queue"
        assert info["queue"]["backlog"] == 40
        gate.set()
        async with asyncio.timeout(20):
            while len(handled) < 40:
                await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)
    finally:
        await rt.stop(grace=5)
    assert sorted(u for _, u, _ in handled) == list(range(1, 41))
    for chat in range(5):
        ids = [u for c, u, _ in handled if c == chat]
        assert ids == sorted(ids)
    assert all(d is not None and d.attempt == 1 for _, _, d in handled)
    assert rt.counts["duplicates"] == 10
    assert rt.counts["handled"] == 40


async def test_stop_finishes_in_flight_refuses_new_and_keeps_the_rest(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/q.db"
    started = asyncio.Event()
    handled: list[int] = []

    async def slow(data: dict[str, Any], bot: Any) -> None:
        started.set()
        await asyncio.sleep(0.3)
        handled.append(data["update_id"])

    rt = runtime(slow, url, max_concurrency=1)
    await rt.start()
    for i in range(1, 6):
        assert (await respond(Webhook(rt), post(update(i, chat=1)))).status == 200
    await started.wait()
    stopping = asyncio.ensure_future(rt.stop(grace=2))
    await asyncio.sleep(0.05)
    refused = await respond(Webhook(rt), post(update(99, chat=2)))
    await stopping
    assert refused.status == 503
    assert handled == [1], "the in-flight update finished; nothing new was taken"

    again: list[int] = []

    async def record(data: dict[str, Any], bot: Any) -> None:
        again.append(data["update_id"])

    rt2 = runtime(record, url)
    await rt2.start()
    try:
        async with asyncio.timeout(10):
            while len(again) < 4:
                await asyncio.sleep(0.01)
    finally:
        await rt2.stop(grace=2)
    assert again == [2, 3, 4, 5]


async def test_failed_handler_is_retried_with_on_error_retry(tmp_path: Path) -> None:
    attempts: list[int] = []

    async def flaky(data: dict[str, Any], bot: Any) -> None:
        delivery = current_delivery()
        assert delivery is not None
        attempts.append(delivery.attempt)
        if delivery.attempt == 1:
            raise RuntimeError("first attempt fails")

    rt = runtime(flaky, f"sqlite:///{tmp_path}/q.db", on_error="retry")
    await rt.start()
    try:
        assert (await respond(Webhook(rt), post(update(1, chat=1)))).status == 200
        async with asyncio.timeout(10):
            while len(attempts) < 2:
                await asyncio.sleep(0.02)
    finally:
        await rt.stop(grace=2)
    assert attempts == [1, 2]
    assert rt.counts["redelivered"] == 1

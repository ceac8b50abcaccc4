"""Backpressure in background mode: full backlog holds requests, in order, never over the bound."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

import tgserve
from tests.conftest import TOKEN
from tests.steps import respond
from tgserve._backlog import Backlog
from tgserve._config import Config, ConfigError
from tgserve._gate import Request
from tgserve._runtime import Runtime
from tgserve._webhook import Webhook

pytestmark = pytest.mark.timeout(30)


def update(update_id: int, chat: int) -> dict[str, Any]:
    return {"update_id": update_id, "message": {"chat": {"id": chat}, "text": "t"}}


def post(data: dict[str, Any]) -> Request:
    return Request("POST", "/webhook", {}, json.dumps(data).encode(), "127.0.0.1")


class Gated:
    """A plain bot whose handlers wait until released; records order and the peak."""

    def __init__(self, runtime_of: list[Runtime]) -> None:
        self.gate = asyncio.Event()
        self.handled: list[int] = []
        self.peak = 0
        self.runtime_of = runtime_of

    async def __call__(self, data: dict[str, Any], bot: tgserve.BotAPI) -> None:
        backlog = self.runtime_of[0].updates.backlog
        self.peak = max(self.peak, backlog.unhandled)
        await self.gate.wait()
        self.handled.append(data["update_id"])


def gated_runtime(**options: Any) -> tuple[Runtime, Gated]:
    box: list[Runtime] = []
    bot = Gated(box)
    config = Config.load({"token": TOKEN, "ack": "background", **options}, {})
    box.append(Runtime(bot, config))
    return box[0], bot


def test_max_backlog_defaults_to_a_multiple_of_max_concurrency_and_reads_the_env() -> None:
    assert Config.load({}, {}).max_backlog == 256
    assert Config.load({"max_concurrency": 3}, {}).max_backlog == 12
    env = {"TGSERVE_MAX_BACKLOG": "7", "TGSERVE_BACKLOG_WAIT": "2.5"}
    config = Config.load({}, env)
    assert (config.max_backlog, config.backlog_wait) == (7, 2.5)
    with pytest.raises(ConfigError, match="backlog_wait must be at most 50"):
        Config.load({"backlog_wait": 61}, {})
    with pytest.raises(ConfigError, match="max_backlog must be at least 1"):
        Config.load({"max_backlog": 0}, {})


async def test_held_requests_are_let_in_in_order_and_the_bound_holds() -> None:
    rt, bot = gated_runtime(max_concurrency=2, max_backlog=4, backlog_wait=10)
    await rt.start()
    try:
        first = [await respond(Webhook(rt), post(update(n, chat=n))) for n in range(4)]
        assert [r.status for r in first] == [200] * 4
        held = [
            asyncio.ensure_future(respond(Webhook(rt), post(update(10 + n, chat=10 + n))))
            for n in range(6)
        ]
        await asyncio.sleep(0.05)
        assert not any(t.done() for t in held)  # full: every later request waits for room
        assert rt.updates.backlog.held == 6 and rt.updates.backlog.unhandled == 4
        order: list[int] = []
        for n, task in enumerate(held):
            task.add_done_callback(lambda _t, n=n: order.append(n))
        bot.gate.set()
        answers = await asyncio.gather(*held)
        assert [a.status for a in answers] == [200] * 6
        assert order == list(range(6))  # released in arrival order
        for _ in range(100):
            if len(bot.handled) == 10:
                break
            await asyncio.sleep(0.01)
        assert sorted(bot.handled) == [0, 1, 2, 3, *range(10, 16)]  # nothing lost
        info = rt.info()
        assert info["peak_unhandled"] == 4 == info["max_backlog"]
        assert bot.peak <= 4
        assert info["unhandled"] == 0 and info["held"] == 0 and info["held_total"] == 6
    finally:
        await rt.stop(1)


async def test_a_request_held_past_the_wait_is_a_503_and_loses_nothing() -> None:
    rt, bot = gated_runtime(max_concurrency=1, max_backlog=1, backlog_wait=0.1)
    await rt.start()
    try:
        assert (await respond(Webhook(rt), post(update(1, chat=1)))).status == 200
        refused = await respond(Webhook(rt), post(update(2, chat=2)))
        assert refused.status == 503
        assert json.loads(refused.body)["error"] == "too many pending updates"
        assert dict(refused.headers)["retry-after"] == "1"
        bot.gate.set()
        for _ in range(100):  # the refused update was never claimed: its redelivery is new
            again = await respond(Webhook(rt), post(update(2, chat=2)))
            if again.status == 200:
                break
            await asyncio.sleep(0.01)
        for _ in range(100):
            if len(bot.handled) == 2:
                break
            await asyncio.sleep(0.01)
        assert bot.handled == [1, 2]
        assert rt.info()["refused_busy"] >= 1
    finally:
        await rt.stop(1)


async def test_duplicates_and_stop_give_back_their_places() -> None:
    rt, _ = gated_runtime(max_concurrency=1, max_backlog=2, backlog_wait=10)
    await rt.start()
    assert (await respond(Webhook(rt), post(update(1, chat=1)))).status == 200
    assert (await respond(Webhook(rt), post(update(1, chat=1)))).status == 200  # duplicate
    assert rt.updates.backlog.unhandled == 1
    assert (await respond(Webhook(rt), post(update(2, chat=2)))).status == 200
    held = asyncio.ensure_future(respond(Webhook(rt), post(update(3, chat=3))))
    await asyncio.sleep(0.05)
    assert not held.done()
    stopping = asyncio.ensure_future(rt.stop(0.2))
    answer = await held
    assert answer.status == 503 and b"shutting down" in answer.body  # not left hanging
    await stopping


async def test_a_held_client_that_goes_away_hands_its_place_on() -> None:
    backlog = Backlog(bound=1, wait=10)
    assert await backlog.admit()
    gone = asyncio.ensure_future(backlog.admit())
    next_in_line = asyncio.ensure_future(backlog.admit())
    await asyncio.sleep(0)
    backlog.release()  # the place goes to ``gone``, whose client then disconnects
    gone.cancel()
    assert await next_in_line
    assert backlog.unhandled == 1 and backlog.peak_unhandled == 1 and backlog.held == 0


async def test_backpressure_over_real_http_never_answers_non_2xx(
    unused_tcp_port: int,
) -> None:
    uvicorn = pytest.importorskip("uvicorn")
    done: list[int] = []

    async def handle(data: dict[str, Any], bot: tgserve.BotAPI) -> None:
        await asyncio.sleep(0.005)
        done.append(data["update_id"])

    app = tgserve.asgi(
        handle, token=TOKEN, max_concurrency=2, max_backlog=4, backlog_wait=10, metrics=True
    )
    config = uvicorn.Config(app, host="127.0.0.1", port=unused_tcp_port, log_level="warning")
    server = uvicorn.Server(config)
    serving = asyncio.ensure_future(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        url = f"http://127.0.0.1:{unused_tcp_port}/webhook"
        async with httpx.AsyncClient(timeout=10) as client:

            async def flood(worker: int) -> list[int]:
                codes = []
                for n in range(15):
                    r = await client.post(url, json=update(worker * 100 + n, chat=n % 5))
                    codes.append(r.status_code)
                return codes

            codes = [c for batch in await asyncio.gather(*map(flood, range(8))) for c in batch]
            assert codes == [200] * 120
            for _ in range(200):
                if len(done) == 120:
                    break
                await asyncio.sleep(0.01)
            assert len(done) == 120
            info = (await client.get(url)).json()
            assert 1 <= info["peak_unhandled"] <= 4
            assert info["held_total"] > 0
            metrics = (await client.get(f"http://127.0.0.1:{unused_tcp_port}/metrics")).text
            assert f"tgserve_updates_unhandled_peak {float(info['peak_unhandled'])}" in metrics
    finally:
        server.should_exit = True
        await serving

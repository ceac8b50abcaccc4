"""The runtime on its own: ordering, concurrency bound, ack modes, hooks, lifecycle."""

from __future__ import annotations

import asyncio
import gc
import json
from typing import Any

import pytest

import tgserve
from tests.conftest import TOKEN
from tests.steps import respond
from tgserve import _runtime as runtime_module
from tgserve._config import Config
from tgserve._dispatch import ChatScheduler, chat_key
from tgserve._gate import Request
from tgserve._runtime import Runtime
from tgserve._webhook import Webhook

pytestmark = pytest.mark.timeout(30)


def update(update_id: int, chat: int = 1) -> dict[str, Any]:
    return {"update_id": update_id, "message": {"chat": {"id": chat}, "text": "t"}}


def post(data: dict[str, Any]) -> Request:
    return Request("POST", "/webhook", {}, json.dumps(data).encode(), "127.0.0.1")


def runtime(handler: Any, **options: Any) -> Runtime:
    return Runtime(handler, Config.load({"token": TOKEN, **options}, {}))


def test_chat_key_covers_update_kinds() -> None:
    assert chat_key({"message": {"chat": {"id": 5}}}) == ("chat", 5)
    assert chat_key({"edited_channel_post": {"chat": {"id": -100}}}) == ("chat", -100)
    callback = {"callback_query": {"from": {"id": 3}, "message": {"chat": {"id": 9}}}}
    assert chat_key(callback) == ("chat", 9)
    assert chat_key({"inline_query": {"from": {"id": 3}}}) == ("user", 3)
    assert chat_key({"poll": {"id": "x"}}) is None
    assert chat_key({"message": {"chat": {"id": "5"}}}) is None


async def test_scheduler_orders_chats_and_bounds_concurrency() -> None:
    scheduler = ChatScheduler(max_concurrency=3)
    log: list[tuple[int, int]] = []
    running = 0
    peak = 0

    def job(chat: int, n: int) -> Any:
        async def run() -> None:
            nonlocal running, peak
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.001 * ((n * 7 + chat) % 5))
            log.append((chat, n))
            running -= 1

        return run

    for n in range(20):
        for chat in range(6):
            scheduler.submit(("chat", chat), job(chat, n))
    assert await scheduler.drain(10) == 0
    assert peak == 3
    for chat in range(6):
        assert [n for c, n in log if c == chat] == list(range(20))
    assert scheduler.pending == 0


async def test_drain_cancels_what_overruns_the_grace() -> None:
    scheduler = ChatScheduler(max_concurrency=2)

    async def forever() -> None:
        await asyncio.sleep(60)

    for chat in range(2):
        for _ in range(3):
            scheduler.submit(("chat", chat), forever)
    assert await scheduler.drain(0.05) == 6
    assert not scheduler.tasks and scheduler.pending == 0


async def test_inline_waits_for_the_handler_and_sends_a_webhook_reply() -> None:
    async def handler(data: dict[str, Any], bot: tgserve.BotAPI) -> dict[str, Any]:
        await asyncio.sleep(0.01)
        return {"method": "sendMessage", "chat_id": 1, "text": "hi"}

    rt = runtime(handler, ack="inline")
    response = await respond(Webhook(rt), post(update(1)))
    assert response.status == 200
    assert json.loads(response.body)["method"] == "sendMessage"
    await rt.stop()


async def test_inline_timeout_answers_200_and_finishes_later() -> None:
    finished = asyncio.Event()

    async def handler(data: dict[str, Any], bot: tgserve.BotAPI) -> None:
        await asyncio.sleep(0.2)
        finished.set()

    rt = runtime(handler, ack="inline", inline_timeout=0.02)
    response = await respond(Webhook(rt), post(update(1)))
    assert response.status == 200 and not finished.is_set()
    await rt.stop()
    assert finished.is_set()


async def test_failures_are_isolated_and_acked_by_default() -> None:
    seen: list[int] = []

    async def handler(data: dict[str, Any], bot: tgserve.BotAPI) -> None:
        seen.append(data["update_id"])
        if data["update_id"] == 1:
            raise ValueError("boom")

    rt = runtime(handler, ack="inline")
    assert (await respond(Webhook(rt), post(update(1)))).status == 200
    assert (await respond(Webhook(rt), post(update(1)))).status == 200  # a re-send is a duplicate
    assert (await respond(Webhook(rt), post(update(2)))).status == 200
    assert seen == [1, 2] and rt.counts["failed"] == 1
    await rt.stop()


async def test_on_error_retry_answers_500_and_handles_the_resend(logwatch: Any) -> None:
    calls: list[int] = []

    async def handler(data: dict[str, Any], bot: tgserve.BotAPI) -> None:
        calls.append(data["update_id"])
        if len(calls) == 1:
            raise ValueError("transient")

    rt = runtime(handler, ack="inline", on_error="retry")
    first = await respond(Webhook(rt), post(update(7)))
    assert first.status == 500 and json.loads(first.body)["ok"] is False
    assert (await respond(Webhook(rt), post(update(7)))).status == 200
    assert calls == [7, 7]
    assert (await respond(Webhook(rt), post(update(7)))).status == 200
    assert calls == [7, 7]
    assert "handler failed for update 7" in logwatch.text()
    await rt.stop()


async def test_start_is_once_under_concurrent_callers_and_stop_is_idempotent() -> None:
    starts = 0

    class Adapter:
        kind = "test"
        bot_id = "1"

        async def startup(self, *, long_running: bool) -> None:
            nonlocal starts
            starts += 1
            await asyncio.sleep(0.01)

        async def shutdown(self) -> None:
            nonlocal starts
            starts -= 1

        async def handle(self, update: dict[str, Any]) -> None:
            return None

    rt = Runtime(Adapter(), Config.load({}, {}))
    await asyncio.gather(*(rt.start() for _ in range(10)))
    assert starts == 1 and rt.state == "running"
    await asyncio.gather(*(rt.stop() for _ in range(5)))
    await rt.stop()
    assert starts == 0 and rt.state == "stopped"


async def test_startup_hooks_overrun_is_cancelled_and_leaves_no_task(logwatch: Any) -> None:
    ran: list[str] = []

    async def quick() -> None:
        ran.append("quick")

    async def slow() -> None:
        try:
            await asyncio.gather(asyncio.sleep(10), asyncio.sleep(10))
        finally:
            ran.append("slow cancelled")

    async def broken() -> None:
        raise RuntimeError("warm-up failed")

    async def handler(data: dict[str, Any], bot: tgserve.BotAPI) -> None:
        return None

    rt = runtime(handler, startup_hooks=[quick, slow, broken], startup_timeout=0.05)
    before = asyncio.all_tasks()
    await rt.start()
    await asyncio.sleep(0)
    assert ran == ["quick", "slow cancelled"]
    leftover = asyncio.all_tasks() - before
    assert all("renew" in repr(t) for t in leftover), leftover
    await rt.stop()
    assert "overran" in logwatch.text() and "warm-up failed" in logwatch.text()


async def test_runtime_refuses_a_second_loop() -> None:
    async def handler(data: dict[str, Any], bot: tgserve.BotAPI) -> None:
        return None

    rt = runtime(handler)
    await rt.start()

    def elsewhere() -> None:
        with pytest.raises(RuntimeError, match="another event loop"):
            asyncio.run(rt.start())

    await asyncio.to_thread(elsewhere)
    await rt.stop()


@pytest.mark.parametrize("freeze", [True, False])
async def test_the_first_started_runtime_freezes_what_start_up_built(
    freeze: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def handle(update: dict[str, Any], bot: Any) -> None:
        return None

    monkeypatch.setattr(runtime_module, "_gc_frozen", False)
    gc.unfreeze()
    try:
        for _ in range(2):  # the second runtime of the process freezes nothing more
            rt = runtime(handle, gc_freeze=freeze)
            await rt.start()
            frozen = gc.get_freeze_count()
            await rt.stop()
            assert (frozen > 0) is freeze
            garbage: list[Any] = []
            garbage.append(garbage)  # a cycle, made after the first start
            del garbage
        assert gc.collect() >= (1 if freeze else 0)  # the cycle was not frozen
    finally:
        gc.unfreeze()


def test_unknown_bot_kind_is_a_clear_type_error() -> None:
    def sync_handler(update: dict[str, Any], bot: Any) -> None:
        return None

    with pytest.raises(TypeError, match=r"telegram\.ext\.Application"):
        tgserve.asgi(sync_handler, token=TOKEN)
    with pytest.raises(TypeError, match="aiogram"):
        tgserve.asgi(object(), token=TOKEN)


def test_plain_bot_without_token_is_refused() -> None:
    async def handler(data: dict[str, Any], bot: tgserve.BotAPI) -> None:
        return None

    with pytest.raises(ValueError, match="TELEGRAM_BOT_TOKEN"):
        Runtime(handler, Config.load({}, {}))

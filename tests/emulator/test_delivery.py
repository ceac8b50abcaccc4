"""Webhook delivery: retries, secret header, per-chat order, max_connections, replies."""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import httpx

from tests.emulator.helpers import ok
from tests.emulator.receiver import Receiver
from tgserve.emulator import Emulator

SECRET = "hook-Secret_1"


async def test_retries_after_errors_with_secret(
    tg: Emulator, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.answers = [(500, {}, b""), (500, {}, b"")]
    await ok(client, tg, "setWebhook", url=receiver.url, secret_token=SECRET)
    alice = tg.user("alice")
    await alice.send("hello")
    deliveries = await receiver.wait(3)
    await asyncio.sleep(0.05)
    assert len(receiver.deliveries) == 3
    assert {d.update["update_id"] for d in deliveries} == {1}
    assert all(d.headers["x-telegram-bot-api-secret-token"] == SECRET for d in deliveries)
    gaps = [b.at - a.at for a, b in itertools.pairwise(deliveries)]
    assert gaps[0] < 0.5  # the first retry comes at once
    assert gaps[1] >= 0.009  # then 1 s, scaled by 0.01
    info = await ok(client, tg, "getWebhookInfo")
    assert info["pending_update_count"] == 0
    assert (
        info["last_error_message"] == "Wrong response from the webhook: 500 Internal Server Error"
    )
    assert isinstance(info["last_error_date"], int)


async def test_retry_after_header_is_honoured(
    tg: Emulator, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.answers = [(429, {"retry-after": "20"}, b"")]
    await ok(client, tg, "setWebhook", url=receiver.url)
    await tg.user("alice").send("x")
    first, second = await receiver.wait(2)
    assert second.at - first.at >= 0.19  # 20 s scaled by 0.01


async def test_unreachable_webhook_keeps_updates_pending(
    tg: Emulator, client: httpx.AsyncClient
) -> None:
    await ok(client, tg, "setWebhook", url="http://127.0.0.1:9/nothing")
    await tg.user("alice").send("x")
    for _ in range(100):
        info = await ok(client, tg, "getWebhookInfo")
        if "last_error_message" in info:
            break
        await asyncio.sleep(0.01)
    assert info["pending_update_count"] == 1
    assert info["last_error_message"] == "Connection refused"


async def test_order_within_each_chat(
    tg: Emulator, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.delay = 0.005
    await ok(client, tg, "setWebhook", url=receiver.url)
    alice, bob = tg.user("alice"), tg.user("bob")
    for i in range(20):
        await alice.send(f"a{i}")
        await bob.send(f"b{i}")
    await receiver.wait(40)
    for user, prefix in ((alice, "a"), (bob, "b")):
        texts = [
            d.update["message"]["text"]
            for d in receiver.deliveries
            if d.update["message"]["chat"]["id"] == user.id
        ]
        assert texts == [f"{prefix}{i}" for i in range(20)]
    assert receiver.max_in_flight <= 2  # each chat one at a time


async def test_max_connections(tg: Emulator, client: httpx.AsyncClient, receiver: Receiver) -> None:
    receiver.delay = 0.01
    await ok(client, tg, "setWebhook", url=receiver.url, max_connections=1)
    users = [tg.user(f"u{i}") for i in range(5)]
    for user in users:
        await user.send("hi")
    await receiver.wait(5)
    assert receiver.max_in_flight == 1
    await ok(client, tg, "setWebhook", url=receiver.url, max_connections=3)
    receiver.max_in_flight = 0
    for user in users * 2:
        await user.send("again")
    await receiver.wait(15)
    assert 2 <= receiver.max_in_flight <= 3


async def test_webhook_replies_are_executed(
    tg: Emulator, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    alice = tg.user("alice")
    replies: list[tuple[int, dict[str, str], bytes]] = [
        (
            200,
            {"content-type": "application/json"},
            json.dumps({"method": "sendMessage", "chat_id": alice.id, "text": "json"}).encode(),
        ),
        (
            200,
            {"content-type": "application/x-www-form-urlencoded"},
            f"method=sendMessage&chat_id={alice.id}&text=form".encode(),
        ),
        (
            200,
            {"content-type": "multipart/form-data; boundary=XyZ"},
            (
                f'--XyZ\r\nContent-Disposition: form-data; name="method"\r\n\r\nsendMessage\r\n'
                f'--XyZ\r\nContent-Disposition: form-data; name="chat_id"\r\n\r\n{alice.id}\r\n'
                f'--XyZ\r\nContent-Disposition: form-data; name="text"\r\n\r\nmultipart\r\n'
                f"--XyZ--\r\n"
            ).encode(),
        ),
        (
            200,
            {"content-type": "application/json"},
            json.dumps({"method": "deleteWebhook"}).encode(),
        ),
        (200, {"content-type": "application/json"}, json.dumps({"method": "getMe"}).encode()),
    ]
    receiver.answers = replies
    await ok(client, tg, "setWebhook", url=receiver.url)
    for i in range(len(replies)):
        await alice.send(f"m{i}")
    await receiver.wait(len(replies))
    await alice.chat.wait_for_text("multipart")
    assert [m.text for m in alice.chat.bot_messages] == ["json", "form", "multipart"]
    assert (await ok(client, tg, "getWebhookInfo"))["url"] == receiver.url


async def test_injected_webhook_timeouts_cause_redelivery(
    tg: Emulator, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    tg.faults.time_out_webhooks(1)
    await ok(client, tg, "setWebhook", url=receiver.url)
    await tg.user("alice").send("x")
    deliveries = await receiver.wait(2)
    assert deliveries[0].update == deliveries[1].update
    info: dict[str, Any] = await ok(client, tg, "getWebhookInfo")
    assert info["last_error_message"] == "Read timeout expired"


async def test_slow_receiver_times_out(client: httpx.AsyncClient, receiver: Receiver) -> None:
    async with Emulator(time_scale=0.001) as tg:
        receiver.answers = [(200, {}, b"")]
        gate = asyncio.Event()

        async def slow(update: dict[str, Any]) -> None:
            if len(receiver.deliveries) == 1:
                await gate.wait()

        receiver.hook = slow
        await ok(client, tg, "setWebhook", url=receiver.url)
        await tg.user("alice").send("x")
        await receiver.wait(2)
        gate.set()
        info = await ok(client, tg, "getWebhookInfo")
        assert info["last_error_message"] == "Read timeout expired"


async def test_delete_webhook_stops_delivery_and_get_updates_resumes(
    tg: Emulator, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.default = (500, {}, b"")
    await ok(client, tg, "setWebhook", url=receiver.url)
    await tg.user("alice").send("stuck")
    await receiver.wait(2)
    await ok(client, tg, "deleteWebhook")
    updates = await ok(client, tg, "getUpdates")
    assert [u["message"]["text"] for u in updates] == ["stuck"]


async def test_retry_delays_double_until_the_update_is_too_old(
    tg: Emulator, client: httpx.AsyncClient, receiver: Receiver
) -> None:
    tg.world.max_update_age = 100.0  # instead of 24 h; scaled by 0.01: one second
    receiver.default = (502, {}, b"")
    await ok(client, tg, "setWebhook", url=receiver.url)
    await tg.user("alice").send("doomed")
    for _ in range(200):
        if (await ok(client, tg, "getWebhookInfo"))["pending_update_count"] == 0:
            break
        await asyncio.sleep(0.01)
    else:
        raise AssertionError("the update was never dropped")
    times = [d.at for d in receiver.deliveries]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert 5 <= len(times) <= 9  # at once, then 1, 2, 4, 8, 16, 32, 64 s (scaled) ...
    assert gaps[0] < 0.3 and gaps[-1] >= 0.15 and gaps[-1] > gaps[1]
    await asyncio.sleep(0.1)
    assert len(receiver.deliveries) == len(times)

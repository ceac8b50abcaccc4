"""docs/design.md's route table, held by every host."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

import tgserve
from tests.conftest import SECRET, TOKEN
from tests.contract.hosts import HOSTS, HostClient

pytestmark = pytest.mark.timeout(60)

GOOD = {"x-telegram-bot-api-secret-token": SECRET, "content-type": "application/json"}


def update(update_id: int, chat: int = 7, text: str = "hi") -> bytes:
    message = {
        "message_id": update_id,
        "date": 0,
        "chat": {"id": chat, "type": "private"},
        "text": text,
    }
    return json.dumps({"update_id": update_id, "message": message}).encode()


class Recorder:
    def __init__(self) -> None:
        self.seen: list[int] = []

    async def __call__(self, update: dict[str, Any], bot: tgserve.BotAPI) -> None:
        self.seen.append(update["update_id"])

    async def wait(self, count: int) -> None:
        async with asyncio.timeout(5):
            while len(self.seen) < count:
                await asyncio.sleep(0.005)


@pytest.fixture(params=sorted(HOSTS))
def host(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def client(host: str, recorder: Recorder) -> AsyncIterator[HostClient]:
    options = {"token": TOKEN, "secret_token": SECRET, "max_body_bytes": 4096}
    async with HOSTS[host](recorder, options) as c:
        yield c


async def test_valid_update_is_200_and_handled(client: HostClient, recorder: Recorder) -> None:
    reply = await client.request("POST", "/webhook", headers=GOOD, body=update(1))
    assert reply.status == 200
    assert reply.json() == {} or "method" in reply.json()
    await recorder.wait(1)
    assert recorder.seen == [1]


async def test_duplicate_is_200_and_not_handled_again(
    client: HostClient, recorder: Recorder
) -> None:
    for _ in range(3):
        assert (
            await client.request("POST", "/webhook", headers=GOOD, body=update(9))
        ).status == 200
    await recorder.wait(1)
    await asyncio.sleep(0.05)
    assert recorder.seen == [9]


async def test_info_health_ready(client: HostClient) -> None:
    info = await client.request("GET", "/webhook")
    assert info.status == 200
    body = info.body.decode()
    assert json.loads(body)["ok"] is True
    assert SECRET not in body and TOKEN not in body
    assert (await client.request("GET", "/healthz")).status == 200
    ready = await client.request("GET", "/readyz")
    assert ready.status == 200, ready.body


@pytest.mark.parametrize(
    ("method", "path", "headers", "body", "status"),
    [
        ("POST", "/webhook", {"content-type": "application/json"}, update(1), 401),
        ("POST", "/webhook", {**GOOD, "x-telegram-bot-api-secret-token": "wrong"}, update(1), 401),
        ("POST", "/nope", GOOD, update(1), 404),
        ("GET", "/nope", {}, b"", 404),
        ("PUT", "/webhook", GOOD, update(1), 405),
        ("DELETE", "/webhook", GOOD, b"", 405),
        ("POST", "/healthz", GOOD, b"", 405),
        ("POST", "/webhook", GOOD, b"{" + b" " * 5000 + b"}", 413),
        ("POST", "/webhook", {**GOOD, "content-type": "text/plain"}, update(1), 415),
        ("POST", "/webhook", GOOD, b"not json", 400),
        ("POST", "/webhook", GOOD, b"[1, 2]", 400),
        ("POST", "/webhook", GOOD, b'{"message": {}}', 400),
        ("POST", "/webhook", GOOD, b'{"update_id": "12"}', 400),
        ("POST", "/webhook", GOOD, b'{"update_id": true}', 400),
        ("POST", "/webhook", GOOD, b'{"update_id": -1}', 400),
        ("POST", "/webhook", GOOD, b"\xff\xfe\x00", 400),
        ("POST", "/webhook", GOOD, b"[" * 100_000, 413),
        ("POST", "/webhook", GOOD, b"[" * 3000, 400),
    ],
)
async def test_refusals(
    client: HostClient,
    recorder: Recorder,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
    status: int,
) -> None:
    reply = await client.request(method, path, headers=headers, body=body)
    assert reply.status == status, reply.body
    if method != "HEAD":
        payload = reply.json()
        assert payload["ok"] is False and isinstance(payload["error"], str)
        assert SECRET not in reply.body.decode()
    assert recorder.seen == []
    follow = await client.request("GET", "/healthz")  # on the same keep-alive connection
    assert follow.status == 200


async def test_ip_allow_list(host: str) -> None:
    recorder = Recorder()
    options = {"token": TOKEN, "allowed_ips": "telegram"}
    async with HOSTS[host](recorder, options) as c:
        reply = await c.request("POST", "/webhook", headers=GOOD, body=update(1))
        assert reply.status == 403
        # a trusted proxy forwarding a Telegram address is let through
    options = {"token": TOKEN, "allowed_ips": "telegram", "trusted_proxies": "127.0.0.0/8,::1"}
    async with HOSTS[host](recorder, options) as c:
        headers = {**GOOD, "x-forwarded-for": "149.154.167.220"}
        assert (await c.request("POST", "/webhook", headers=headers, body=update(2))).status == 200
        spoofed = {**GOOD, "x-forwarded-for": "149.154.167.220, 8.8.8.8"}
        assert (await c.request("POST", "/webhook", headers=spoofed, body=update(3))).status == 403
        await recorder.wait(1)
    assert recorder.seen == [2]

"""Defects found in review: a webhook path on tgserve's own routes, and repeated headers."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

import tgserve
from tests.conftest import TOKEN
from tgserve._gate import header_map
from tgserve._hosts.lambda_samples import LocalContext, event

pytestmark = pytest.mark.timeout(30)

UPDATE = json.dumps({"update_id": 1, "message": {"chat": {"id": 1}, "text": "x"}}).encode()
# the client 203.0.113.7 reached a proxy 10.0.0.9, which reached the app from 127.0.0.1
BEHIND_PROXIES = {"allowed_ips": ["203.0.113.0/24"], "trusted_proxies": ["127.0.0.1", "10.0.0.0/8"]}


async def ignore(update: dict[str, Any], bot: tgserve.BotAPI) -> None:
    return None


@pytest.mark.parametrize("path", ["/metrics", "/metrics/", "/healthz/", "/readyz"])
def test_a_webhook_path_on_tgserves_own_routes_is_refused(path: str) -> None:
    with pytest.raises(tgserve.ConfigError, match="/healthz, /readyz, /metrics"):
        tgserve.asgi(ignore, token=TOKEN, path=path)


def test_repeated_headers_are_joined_in_order() -> None:
    pairs = [("X-Forwarded-For", "203.0.113.7"), ("x-forwarded-for", "10.0.0.9"), ("A", "1")]
    assert header_map(pairs) == {"x-forwarded-for": "203.0.113.7, 10.0.0.9", "a": "1"}


async def test_asgi_reads_every_x_forwarded_for_header() -> None:
    app = tgserve.asgi(ignore, token=TOKEN, ack="inline", **BEHIND_PROXIES)
    headers = [("x-forwarded-for", "203.0.113.7"), ("x-forwarded-for", "10.0.0.9")]
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        allowed = await client.post("/webhook", content=UPDATE, headers=headers)
        spoofed = await client.post(
            "/webhook", content=UPDATE, headers=[("x-forwarded-for", "10.0.0.9")]
        )
    await app.runtime.stop()
    assert (allowed.status_code, spoofed.status_code) == (200, 403)


async def test_lambda_reads_repeated_headers_as_asgi_does() -> None:
    handler = tgserve.aws_lambda(ignore, token=TOKEN, **BEHIND_PROXIES)
    sample = event("rest", "POST", "/webhook", body=UPDATE, client="127.0.0.1")
    sample["headers"]["X-Forwarded-For"] = "10.0.0.9"  # API Gateway keeps the last one here
    sample["multiValueHeaders"]["X-Forwarded-For"] = ["203.0.113.7", "10.0.0.9"]
    try:
        result = await asyncio.to_thread(handler, sample, LocalContext(10))
    finally:
        await asyncio.to_thread(handler.close, 1.0)
    assert result["statusCode"] == 200

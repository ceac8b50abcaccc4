"""On Lambda a 429 never outlives the invocation: with 1 s left and ``retry_after=3``
the answer is a 503 in time, and the update is answered when Telegram delivers it again."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

import tgserve
from tests.conftest import SECRET, TOKEN
from tests.hosts.lambda_.helpers import retarget
from tests.hosts.lambda_.stub import stub_in_thread
from tgserve._hosts.lambda_samples import LocalContext

pytestmark = pytest.mark.timeout(30)


async def handle(update: dict[str, Any], bot: tgserve.BotAPI) -> None:
    await bot.call("sendMessage", chat_id=update["message"]["chat"]["id"], text="pong")


def test_a_429_with_1s_left_answers_503_in_time_then_the_redelivery_replies() -> None:
    with stub_in_thread() as (url, stub):
        stub.fail["sendMessage"] = [(429, 3.0)]
        handler = tgserve.aws_lambda(
            handle, token=TOKEN, api_url=url, secret_token=SECRET, timeout_margin=0.2
        )
        event = retarget("http_v2", "POST", "/webhook")
        try:  # a warm function: the bot started by an earlier invocation
            ready = handler(retarget("http_v2", "GET", "/readyz"), LocalContext(timeout=10.0))
            assert ready["statusCode"] == 200
            began = time.monotonic()
            first = handler(event, LocalContext(timeout=1.0))
            took = time.monotonic() - began
            assert first["statusCode"] == 503, first
            assert took < 1.0, took  # before the invocation's deadline, not after 3 s
            assert "out of time" in json.loads(first["body"])["error"]
            runtime = handler.runtime
            assert runtime.governor is not None
            assert runtime.governor.stats.flooded == 1 and runtime.governor.stats.short == 1
            assert stub.sent() == []  # the one send met the 429
            again = handler(event, LocalContext(timeout=10.0))  # Telegram delivers it again
            assert again["statusCode"] == 200
            assert [c.params["text"] for c in stub.sent()] == ["pong"]
            assert stub.sent()[0].at - began >= 2.9  # the cooldown was kept
        finally:
            handler.close(1.0)

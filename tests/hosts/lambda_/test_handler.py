"""The handler's behaviour: deadline from the remaining time, ack modes, one loop, log fields."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
from tests.conftest import SECRET, TOKEN
from tests.hosts.lambda_.helpers import body_of, headers_of, retarget

import tgserve
from tgserve._hosts.lambda_samples import LocalContext

pytestmark = pytest.mark.timeout(30)


class SlowFirst:
    """Hangs on an update's first delivery; handles it at once when it comes again."""

    def __init__(self) -> None:
        self.attempts: dict[int, int] = {}
        self.cancelled: list[int] = []
        self.handled: list[int] = []

    async def __call__(self, update: dict[str, Any], bot: tgserve.BotAPI) -> None:
        update_id = update["update_id"]
        self.attempts[update_id] = self.attempts.get(update_id, 0) + 1
        if self.attempts[update_id] == 1:
            try:
                await asyncio.sleep(30)
            except asyncio.CancelledError:
                self.cancelled.append(update_id)
                raise
        self.handled.append(update_id)


def test_remaining_time_runs_out_then_the_update_is_handled_when_delivered_again() -> None:
    bot = SlowFirst()
    handler = tgserve.aws_lambda(bot, token=TOKEN, secret_token=SECRET, timeout_margin=1.0)
    event = retarget("http_v2", "POST", "/webhook")
    try:
        began = time.monotonic()
        first = handler(event, LocalContext(timeout=1.3))
        took = time.monotonic() - began
        assert first["statusCode"] == 503
        assert headers_of(first)["retry-after"] == "1"
        assert 0.2 < took < 1.2, took  # answered before Lambda's own timeout
        assert bot.cancelled == [1001] and bot.handled == []
        runtime = handler.runtime
        assert runtime.updates.scheduler.pending == 0 and runtime.updates.scheduler.running == 0
        assert runtime.counts["timed_out"] == 1
        again = handler(event, LocalContext(timeout=10))
        assert again["statusCode"] == 200
        assert bot.handled == [1001]
        assert handler(event, LocalContext(timeout=10))["statusCode"] == 200  # duplicate
        assert bot.handled == [1001] and bot.attempts == {1001: 2}
    finally:
        handler.close(1.0)


def test_no_time_left_at_all_answers_503_without_running_the_bot() -> None:
    bot = SlowFirst()
    handler = tgserve.aws_lambda(bot, token=TOKEN, timeout_margin=2.0)
    event = retarget("rest_v1", "POST", "/webhook", secret=None)
    try:
        assert handler(event, LocalContext(timeout=1.0))["statusCode"] == 503
        assert bot.attempts == {}
        bot.attempts[1001] = 1  # the next delivery is not the first
        assert handler(event, LocalContext(timeout=10))["statusCode"] == 200
        assert bot.handled == [1001]
    finally:
        handler.close(1.0)


def test_a_context_without_remaining_time_uses_inline_timeout() -> None:
    bot = SlowFirst()
    handler = tgserve.aws_lambda(bot, token=TOKEN, inline_timeout=0.2)
    try:
        assert handler(retarget("alb", "POST", "/webhook"), object())["statusCode"] == 503
        assert bot.cancelled == [1001]
    finally:
        handler.close(1.0)


def test_background_ack_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(tgserve.ConfigError, match="frozen"):
        tgserve.aws_lambda(SlowFirst(), token=TOKEN, ack="background")
    monkeypatch.setenv("TGSERVE_ACK", "background")
    with pytest.raises(tgserve.ConfigError, match="inline"):
        tgserve.aws_lambda(SlowFirst(), token=TOKEN)
    with pytest.raises(tgserve.ConfigError, match="timeout_margin"):
        tgserve.aws_lambda(SlowFirst(), token=TOKEN, ack="inline", timeout_margin=-1)


def test_queue_ack_stores_and_answers_without_consuming() -> None:
    bot = SlowFirst()
    handler = tgserve.aws_lambda(bot, token=TOKEN, ack="queue")
    try:
        assert handler.runtime.worker is None
        assert handler(retarget("http_v2", "POST", "/webhook"), None)["statusCode"] == 200
        info = json.loads(body_of(handler(retarget("http_v2", "GET", "/webhook"), None)))
        assert info["queue"]["backlog"] == 1 and info["queue"]["consuming"] is False
        assert bot.attempts == {}
    finally:
        handler.close(1.0)


def test_one_loop_for_every_handler_and_invocation() -> None:
    first = tgserve.aws_lambda(SlowFirst(), token=TOKEN, init_at_import=True)
    loop = first.loop
    assert loop is not None and first.runtime.state == "running"
    second = tgserve.aws_lambda(SlowFirst(), token=TOKEN)
    try:
        for _ in range(20):
            second(retarget("http_v2", "GET", "/readyz"), None)
        first.close(1.0)
        assert second.loop is loop and not loop.is_closed()
        assert second.runtime.loop is loop
    finally:
        second.close(1.0)
    assert not loop.is_closed()


async def test_calling_the_handler_from_a_running_loop_says_how() -> None:
    handler = tgserve.aws_lambda(SlowFirst(), token=TOKEN)
    with pytest.raises(RuntimeError, match=r"asyncio\.to_thread"):
        handler(retarget("http_v2", "GET", "/healthz"), None)
    result = await asyncio.to_thread(handler, retarget("http_v2", "GET", "/healthz"), None)
    assert result["statusCode"] == 200
    await asyncio.to_thread(handler.close, 1.0)


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def records() -> Iterator[Records]:
    handler = Records()
    logging.getLogger("tgserve").addHandler(handler)
    yield handler
    logging.getLogger("tgserve").removeHandler(handler)


def test_log_records_carry_request_id_and_cold_start(records: Records) -> None:
    bot = SlowFirst()
    bot.attempts[1001] = 1
    handler = tgserve.aws_lambda(bot, token=TOKEN)
    event = retarget("http_v2", "POST", "/webhook")
    try:
        handler(event, LocalContext(10, request_id="req-cold"))
        handler(event, LocalContext(10, request_id="req-warm"))
    finally:
        handler.close(1.0)
    tagged = [r for r in records.records if hasattr(r, "aws_request_id")]
    by_id = {r.__dict__["aws_request_id"]: r.__dict__["cold_start"] for r in tagged}
    assert by_id == {"req-cold": True, "req-warm": False}
    started = [r for r in tagged if r.getMessage().startswith("started plain bot")]
    assert len(started) == 1 and started[0].__dict__["aws_request_id"] == "req-cold"
    summaries = [r for r in tagged if r.name == "tgserve.aws_lambda"]
    assert [r.levelno for r in summaries] == [logging.INFO, logging.DEBUG]
    assert all(r.__dict__["source"] == "http" for r in summaries)
    outside = [r for r in records.records if r.getMessage().startswith("stopped")]
    assert outside and not hasattr(outside[0], "aws_request_id")


def test_base_path_and_stage_are_taken_off() -> None:
    bot = SlowFirst()
    bot.attempts[1001] = 1
    handler = tgserve.aws_lambda(bot, token=TOKEN, base_path="/bot/", path="/hook")
    try:
        event = retarget("http_v2_stage", "POST", "/bot/hook")  # /prod/bot/hook
        assert event["rawPath"] == "/prod/bot/hook"
        assert handler(event, None)["statusCode"] == 200
        assert handler(retarget("rest_v1", "GET", "/bot"), None)["statusCode"] == 404
        assert handler(retarget("rest_v1", "GET", "/bot/healthz"), None)["statusCode"] == 200
    finally:
        handler.close(1.0)
    assert bot.handled == [1001]


LIVENESS_WITHOUT_A_LOOP = """
import json, sys
import tgserve
from tests.hosts.lambda_.helpers import retarget
async def handle(update, bot): pass
handler = tgserve.aws_lambda(handle, token=sys.argv[1])
result = handler(retarget("http_v2", "GET", "/healthz"), None)
print(json.dumps([result["statusCode"], handler.loop is None, handler.runtime.state]))
"""


def test_liveness_is_answered_without_the_loop() -> None:
    """``/healthz`` is the core's answer that needs no loop: a fresh container answers it
    without making the loop or starting the bot (a cold start's first health check)."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", LIVENESS_WITHOUT_A_LOOP, TOKEN],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert json.loads(done.stdout.splitlines()[-1]) == [200, True, "new"]

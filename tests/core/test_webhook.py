"""The request path's steps, without a host: head, then body or error, then answer."""

from __future__ import annotations

import json
from typing import Any

import pytest

import tgserve
from tests.conftest import SECRET, TOKEN
from tests.steps import respond
from tgserve._config import Config
from tgserve._gate import Query, ReadBody, Request, Response, Unreadable, Update
from tgserve._runtime import Runtime
from tgserve._webhook import Webhook

pytestmark = pytest.mark.timeout(30)

GOOD = {"x-telegram-bot-api-secret-token": SECRET, "content-type": "application/json"}
BODY = json.dumps({"update_id": 3, "message": {"chat": {"id": 1}, "text": "t"}}).encode()


async def ignore(update: dict[str, Any], bot: tgserve.BotAPI) -> None:
    return None


def webhook(**options: Any) -> Webhook:
    config = Config.load({"token": TOKEN, "secret_token": SECRET, **options}, {})
    return Webhook(Runtime(ignore, config))


def test_head_decides_what_it_can_and_asks_for_the_rest() -> None:
    hook = webhook(max_body_bytes=100)
    assert hook.head(Request("POST", "/webhook", GOOD)) == ReadBody(100)
    assert hook.head(Request("GET", "/webhook")) is Query.INFO
    assert hook.head(Request("HEAD", "/metrics/")) is Query.METRICS
    refused = [
        (Request("POST", "/webhook", {}), 401),
        (Request("POST", "/other", GOOD), 404),
        (Request("PUT", "/webhook", GOOD), 405),
        (Request("POST", "/webhook", {**GOOD, "content-length": "101"}), 413),
        (Request("POST", "/webhook", {**GOOD, "content-type": "text/plain"}), 415),
    ]
    for request, status in refused:
        verdict = hook.head(request)
        assert isinstance(verdict, Response) and verdict.status == status


def test_body_judges_what_the_host_read() -> None:
    hook = webhook(max_body_bytes=100)
    assert hook.body(BODY) == Update(json.loads(BODY))
    too_big = hook.body(None)  # the host stopped reading past the limit
    assert isinstance(too_big, Response) and too_big.status == 413
    given = hook.body(b"x" * 101)  # a framework read it all already
    assert isinstance(given, Response) and given.status == 413
    slow = hook.body(Unreadable("body read timed out", close=True))  # the host's reason
    assert slow == Response(
        400,
        b'{"ok":false,"error":"body read timed out"}',
        (("content-type", "application/json"), ("connection", "close")),
    )
    bad = hook.body(b"[1]")
    assert isinstance(bad, Response) and bad.status == 400


async def test_answer_processes_queries_and_counts_refusals() -> None:
    hook = webhook(ack="inline")
    assert hook.answer_now(Query.HEALTHZ) is not None
    assert hook.answer_now(Query.INFO) is None and hook.answer_now(Update({})) is None
    try:
        assert (await respond(hook, Request("POST", "/webhook", GOOD, BODY))).status == 200
        assert (await respond(hook, Request("POST", "/webhook", {}, BODY))).status == 401
        info = json.loads((await respond(hook, Request("GET", "/webhook"))).body)
        ready = await hook.answer(Query.READYZ)
    finally:
        await hook.runtime.stop()
    assert info["counts"] == {"received": 1, "handled": 1, "rejected_401": 1}
    assert ready.status == 200


def test_a_request_the_host_could_not_read_is_the_gates_400() -> None:
    hook = webhook()
    verdict = hook.unreadable("not an HTTP event")
    assert verdict == Response(400, b'{"ok":false,"error":"not an HTTP event"}')


async def test_polling_steps_judge_by_the_body_rule_then_handle_to_completion() -> None:
    hook = webhook()
    good = json.loads(BODY)
    items = [good, [1], {"update_id": -1}, {"update_id": "4"}, "text"]
    assert hook.polled(items) == [good]
    assert hook.polled({"not": "a list"}) == []
    assert hook.runtime.counts["rejected_400"] == 4
    await hook.runtime.start()
    try:
        outcome = await hook.update(good)
        again = await hook.update(good)  # a re-fetched update is a duplicate
    finally:
        await hook.runtime.stop()
    assert outcome.ok and outcome.update_id == 3 and not outcome.busy
    assert again.ok and hook.runtime.counts["handled"] == 1

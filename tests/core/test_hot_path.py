"""The ack path's cheaper parts keep their guarantees: the body reads' shared deadline
timer (tgserve._deadlines), the handler slots (tgserve._slots), the ASGI header and answer
building (tgserve._hosts.asgi_io), the backlog's one timer for held requests
(tgserve._backlog), and orjson's decoding (tgserve._jsonfast)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import MutableMapping
from typing import Any

import pytest

from tgserve import _jsonfast as jsonfast
from tgserve._backlog import Backlog
from tgserve._deadlines import Deadlines
from tgserve._gate import OK, header_map, parse_update
from tgserve._hosts.asgi_io import SLOW_BODY, read_body, request_headers, send_response
from tgserve._slots import Slots


async def _watched_sleep(deadlines: Deadlines, seconds: float, sleep: float) -> str:
    task = deadlines.watch(seconds)
    try:
        await asyncio.sleep(sleep)
    except asyncio.CancelledError:
        if not deadlines.expired(task):
            raise
        return "expired"
    finally:
        deadlines.forget(task)
    return "done"


async def test_a_wait_past_its_deadline_is_cut_and_the_others_are_not() -> None:
    deadlines = Deadlines()
    results = await asyncio.gather(
        _watched_sleep(deadlines, 0.05, 5),
        _watched_sleep(deadlines, 5, 0.01),
        _watched_sleep(deadlines, 0.1, 5),
    )
    assert list(results) == ["expired", "done", "expired"]
    task = asyncio.current_task()
    assert task is not None and task.cancelling() == 0


async def test_a_shorter_deadline_after_a_longer_one_still_fires_on_time() -> None:
    deadlines = Deadlines()
    slow = asyncio.ensure_future(_watched_sleep(deadlines, 30, 30))
    await asyncio.sleep(0)
    began = asyncio.get_running_loop().time()
    assert await _watched_sleep(deadlines, 0.05, 5) == "expired"
    assert asyncio.get_running_loop().time() - began < 1.0
    slow.cancel()  # someone else's cancellation is not the deadline's: it is raised
    with pytest.raises(asyncio.CancelledError):
        await slow


async def test_a_wait_that_ended_is_not_cancelled_later() -> None:
    deadlines = Deadlines()
    assert await _watched_sleep(deadlines, 0.05, 0) == "done"
    await asyncio.sleep(0.1)  # past the first deadline: this task is not cancelled


async def test_a_body_that_does_not_arrive_in_time_is_slow_body() -> None:
    async def receive() -> dict[str, Any]:
        await asyncio.sleep(5)
        return {"type": "http.request", "body": b"{}"}

    deadlines = Deadlines()
    assert await read_body(receive, 100, deadlines, 0.05) is SLOW_BODY

    parts = iter([b'{"update_id":', b"1}"])

    async def chunks() -> dict[str, Any]:
        part = next(parts)
        return {"type": "http.request", "body": part, "more_body": part != b"1}"}

    assert await read_body(chunks, 100, deadlines, 5) == b'{"update_id":1}'


async def test_slots_bound_the_jobs_and_let_waiters_in_in_order() -> None:
    slots = Slots(2)
    order: list[int] = []
    inside = 0
    peak = 0

    async def job(n: int) -> None:
        nonlocal inside, peak
        if not slots.take():
            await slots.wait()
        inside += 1
        peak = max(peak, inside)
        order.append(n)
        try:
            await asyncio.sleep(0.01)
        finally:
            inside -= 1
            slots.release()

    await asyncio.gather(*(job(n) for n in range(8)))
    assert peak == 2
    assert order == list(range(8))
    assert slots.take() and slots.take() and not slots.take()


async def test_a_waiter_cancelled_after_it_was_handed_a_slot_passes_it_on() -> None:
    slots = Slots(1)
    assert slots.take()
    first = asyncio.ensure_future(slots.wait())
    second = asyncio.ensure_future(slots.wait())
    await asyncio.sleep(0)
    slots.release()  # handed to ``first``...
    first.cancel()  # ...which is cancelled before it runs: the slot goes to ``second``
    await asyncio.wait_for(second, 1)
    with pytest.raises(asyncio.CancelledError):
        await first
    slots.release()
    assert slots.take() and not slots.take()


def test_request_headers_follow_the_one_rule() -> None:
    raw = [(b"Content-Type", b"application/json"), (b"x-forwarded-for", b"1.1.1.1")]
    assert request_headers(raw) == {
        "content-type": "application/json",
        "x-forwarded-for": "1.1.1.1",
    }
    raw.append((b"X-Forwarded-For", b"2.2.2.2"))
    expected = header_map((k.decode(), v.decode()) for k, v in raw)
    assert request_headers(raw) == expected
    assert expected["x-forwarded-for"] == "1.1.1.1, 2.2.2.2"


async def test_the_acks_headers_are_a_fresh_list_each_time() -> None:
    sent: list[MutableMapping[str, Any]] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            message["headers"].append((b"x-added", b"by middleware"))
        sent.append(message)

    await send_response(send, OK, "POST")
    await send_response(send, OK, "HEAD")
    first, second = sent[0]["headers"], sent[2]["headers"]
    assert first.count((b"x-added", b"by middleware")) == 1
    assert second.count((b"x-added", b"by middleware")) == 1
    assert (b"content-length", b"2") in first
    assert sent[1]["body"] == b"{}" and sent[3]["body"] == b""


@pytest.mark.parametrize(
    "body",
    [
        b'{"update_id": 1, "message": {"text": "h\\u00e9 \\ud83d\\ude00", "chat": {"id": -100}}}',
        b'{"update_id": 2, "x": NaN}',  # orjson refuses; json takes it, as before
        b'\xef\xbb\xbf{"update_id": 3}',  # a byte-order mark: likewise
        b'{"update_id": 4, "s": "\\ud800"}',  # a lone surrogate: likewise
    ],
)
def test_bodies_decode_as_the_standard_library_decodes_them(body: bytes) -> None:
    ours, theirs = jsonfast.loads(body), json.loads(body)
    assert json.dumps(ours) == json.dumps(theirs)


@pytest.mark.parametrize("body", [b"", b"{", b"[1,", b'{"update_id": 1}x', b"\xff"])
def test_what_json_refuses_is_refused(body: bytes) -> None:
    with pytest.raises(ValueError):
        jsonfast.loads(body)
    answer = parse_update(body)
    assert getattr(answer, "status", None) == 400


def test_dumps_is_compact_utf8_json() -> None:
    value = {"chat_id": 1, "text": "hé 😀", "reply_markup": {"a": [1, 2.5, None, True]}}
    assert json.loads(jsonfast.dumps(value)) == value
    assert jsonfast.dumps({1: "a"}) == b'{"1":"a"}'  # orjson refuses int keys; json's turn


async def test_held_requests_time_out_on_one_timer_each_at_its_own_deadline() -> None:
    backlog = Backlog(bound=1, wait=0.3)
    assert await backlog.admit()
    loop = asyncio.get_running_loop()
    began = loop.time()
    early = asyncio.ensure_future(backlog.admit())
    await asyncio.sleep(0.1)
    backlog.wait = 0.05  # a later, shorter wait: the timer is set for it, not the first's
    late = asyncio.ensure_future(backlog.admit())
    assert await late is False
    assert loop.time() - began < 0.25 and not early.done()
    assert await early is False
    assert loop.time() - began >= 0.28
    assert backlog.refused == 2 and backlog.held == 0
    backlog.wait = 5
    third = asyncio.ensure_future(backlog.admit())
    await asyncio.sleep(0)
    backlog.release()  # the place moves to the one in line, before its deadline
    assert await third is True
    assert backlog.unhandled == 1

"""Hostile requests over every host: always a docs/design.md status, never a 500 or a traceback,
and the runtime stays ready. Prints how many cases ran per host.

``TGSERVE_FUZZ_EXAMPLES`` scales the cases per host (default 300); runs are derandomized
(the same cases every run, as CI needs) unless ``TGSERVE_FUZZ_RANDOM=1``.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections import Counter
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings

import tgserve
from tests.conftest import SECRET, TOKEN
from tests.contract.hosts import HOSTS, HostClient, Reply
from tests.fuzz.strategies import ALLOWED, MAX_BODY, requests

pytestmark = pytest.mark.timeout(180)

EXAMPLES = int(os.environ.get("TGSERVE_FUZZ_EXAMPLES", "300"))
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("TGSERVE_FUZZ_RANDOM") != "1",
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# raised by a host's test client before anything is sent (e.g. httpx refusing a header)
UNSENDABLE = (UnicodeEncodeError, httpx.LocalProtocolError, httpx.InvalidURL, ValueError)


async def quiet_bot(update: dict[str, Any], bot: tgserve.BotAPI) -> None:
    """Handles whatever the fuzzer got past the gate, calling nothing."""


def check(reply: Reply, case: str) -> None:
    assert reply.status in ALLOWED, f"{reply.status} for {case}"
    assert b"Traceback" not in reply.body, case
    assert SECRET.encode() not in reply.body and TOKEN.encode() not in reply.body, case
    ctype = {k.lower(): v for k, v in reply.headers.items()}.get("content-type", "")
    if reply.status >= 400 and reply.body and ctype.startswith("application/json"):
        error = json.loads(reply.body)
        assert error["ok"] is False and isinstance(error["error"], str), case


@pytest.mark.parametrize("host", sorted(HOSTS))
def test_hostile_requests_get_a_design_status(host: str) -> None:
    statuses: Counter[int] = Counter()
    unsendable = 0
    options = {
        "token": TOKEN,
        "secret_token": SECRET,
        "max_body_bytes": MAX_BODY,
        "api_url": "http://127.0.0.1:9",
    }
    with asyncio.Runner() as runner:
        opened = HOSTS[host](quiet_bot, options)
        client: HostClient = runner.run(opened.__aenter__())
        try:

            @FUZZ_SETTINGS
            @given(req=requests)
            def fuzz(req: tuple[str, str, dict[str, str], bytes]) -> None:
                nonlocal unsendable
                method, path, hdrs, body = req
                case = f"{method} {path[:80]!r} headers={sorted(hdrs)} body={body[:80]!r}"
                try:
                    reply = runner.run(client.request(method, path, headers=hdrs, body=body))
                except UNSENDABLE:
                    unsendable += 1
                    return
                statuses[reply.status] += 1
                check(reply, case)

            fuzz()
            ready = runner.run(client.request("GET", "/readyz"))
            assert ready.status == 200, "the runtime is no longer ready after the fuzz"
            good = json.dumps({"update_id": 10**12, "message": {"chat": {"id": 1}}}).encode()
            accepted = runner.run(
                client.request(
                    "POST",
                    "/webhook",
                    headers={"x-telegram-bot-api-secret-token": SECRET},
                    body=good,
                )
            )
            assert accepted.status == 200
        finally:
            runner.run(opened.__aexit__(None, None, None))
    sent = statuses.total()
    print(
        f"\nfuzz {host}: {sent} requests sent, {unsendable} refused by the client: {dict(statuses)}"
    )
    assert sent >= EXAMPLES // 2, "most generated cases never reached the host"

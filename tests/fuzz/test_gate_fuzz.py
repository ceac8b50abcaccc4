"""The gate and the ASGI host below any HTTP client: secrets of every length, raw ASGI
scopes with repeated, huge and non-ASCII headers, bodies in odd chunks or cut short."""

from __future__ import annotations

import asyncio
import os
import string
from collections import Counter
from collections.abc import MutableMapping
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tgserve
from tests.conftest import SECRET, TOKEN
from tests.fuzz.strategies import ALLOWED, MAX_BODY, bodies, methods, paths
from tgserve._config import Config, ConfigError
from tgserve._gate import Gate, ReadBody, Request, Response, Update

pytestmark = pytest.mark.timeout(120)

EXAMPLES = int(os.environ.get("TGSERVE_FUZZ_EXAMPLES", "300"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("TGSERVE_FUZZ_RANDOM") != "1",
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SECRET_CHARS = string.ascii_letters + string.digits + "_-"
HEADER = "x-telegram-bot-api-secret-token"
VALID = b'{"update_id": 1, "message": {"chat": {"id": 1}}}'


@FUZZ
@given(
    configured=st.text(SECRET_CHARS, min_size=1, max_size=256),
    given_secret=st.text(SECRET_CHARS, max_size=300) | st.text(max_size=40),
    equal=st.booleans(),
)
def test_secrets_of_every_length(configured: str, given_secret: str, equal: bool) -> None:
    gate = Gate(Config.load({"secret_token": configured}, env={}))
    sent = configured if equal else given_secret
    step = gate.check_head(Request("POST", "/webhook", {HEADER: sent}))
    verdict = gate.check_body(VALID) if isinstance(step, ReadBody) else step
    if sent == configured:
        assert isinstance(verdict, Update)
    else:
        assert isinstance(verdict, Response) and verdict.status == 401
        assert verdict.body == b'{"ok":false,"error":"wrong or missing secret token"}'


@FUZZ
@given(
    bad=st.text(max_size=300).filter(
        lambda s: not (0 < len(s) <= 256 and set(s) <= set(SECRET_CHARS))
    )
)
def test_a_bad_configured_secret_is_refused_at_load(bad: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Config.load({"secret_token": bad}, env={})
    assert len(bad) < 6 or bad not in str(caught.value)


raw_names = st.sampled_from(
    [b"x-telegram-bot-api-secret-token", b"content-type", b"content-length", b"x-forwarded-for"]
) | st.binary(min_size=1, max_size=40)
raw_values = st.one_of(
    st.just(SECRET.encode()),
    st.sampled_from([b"application/json", b"-1", b"1e3", b" 12 ", b"9" * 30, b"0x10", b""]),
    st.binary(max_size=100),
    st.builds(lambda n: b"\xff" * n, st.integers(1000, 20_000)),
)
raw_headers = st.lists(st.tuples(raw_names, raw_values), max_size=8).map(
    lambda hs: [(n.lower(), v) for n, v in hs]
)


@st.composite
def chunkings(draw: st.DrawFn, body: bytes) -> list[bytes]:
    cuts = sorted(draw(st.lists(st.integers(0, len(body)), max_size=5)))
    return [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]


@pytest.fixture(scope="module")
def counts() -> Counter[int]:
    return Counter()


def test_raw_asgi_scopes(counts: Counter[int]) -> None:
    async def handler(update: dict[str, Any], bot: tgserve.BotAPI) -> None:
        return None

    app = tgserve.asgi(
        handler,
        token=TOKEN,
        secret_token=SECRET,
        max_body_bytes=MAX_BODY,
        api_url="http://127.0.0.1:9",
    )

    async def call(
        method: str, path: str, headers: list[tuple[bytes, bytes]], chunks: list[bytes], cut: bool
    ) -> tuple[int, bytes]:
        messages: list[dict[str, Any]] = [
            {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
            for i, c in enumerate(chunks)
        ] or [{"type": "http.request", "body": b"", "more_body": False}]
        if cut:
            messages = [*messages[:-1], {"type": "http.disconnect"}]
        sent: list[MutableMapping[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        async def send(message: MutableMapping[str, Any]) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "method": method,
            "path": path,
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 1234) if len(headers) % 2 else None,
        }
        await app(scope, receive, send)
        assert sent[0]["type"] == "http.response.start"
        return int(sent[0]["status"]), bytes(sent[1]["body"])

    with asyncio.Runner() as runner:

        @FUZZ
        @given(
            method=methods,
            path=paths | st.text(max_size=30),
            headers=raw_headers,
            body=bodies,
            data=st.data(),
            cut=st.booleans(),
        )
        def fuzz(
            method: str,
            path: str,
            headers: list[tuple[bytes, bytes]],
            body: bytes,
            data: st.DataObject,
            cut: bool,
        ) -> None:
            if data.draw(st.booleans()):
                headers = [(HEADER.encode(), SECRET.encode()), *headers]
                method, path = "POST", "/webhook"
            chunks = data.draw(chunkings(body))
            status, answer = runner.run(call(method, path, headers, chunks, cut))
            counts[status] += 1
            assert status in ALLOWED, (status, method, path, headers[:3], body[:60])
            assert b"Traceback" not in answer and SECRET.encode() not in answer

        try:
            fuzz()
            status, _ = runner.run(call("GET", "/readyz", [], [], False))
            assert status == 200
        finally:
            runner.run(app.runtime.stop())
    print(f"\nfuzz raw ASGI scopes: {counts.total()} requests: {dict(counts)}")
    assert counts.total() >= EXAMPLES

"""AiohttpRequest sends what PTB's HTTPXRequest sends, and keeps per-call timeouts apart."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qsl

import pytest
from telegram import Bot
from telegram.error import TimedOut
from telegram.request import BaseRequest, HTTPXRequest

from tests.asgi_body import read_body
from tests.conftest import TOKEN
from tgserve._bots.ptb_request import AiohttpRequest
from tgserve.testing import serve


class Recorder:
    """Records each request's content type, user agent and body; answers ``ok``."""

    def __init__(self, delay: float = 0.0) -> None:
        self.seen: list[tuple[str, str, bytes]] = []
        self.delay = delay

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = await read_body(receive)
        headers = dict(scope["headers"])
        ctype = headers.get(b"content-type", b"").decode()
        self.seen.append((ctype, headers.get(b"user-agent", b"").decode(), body))
        await asyncio.sleep(self.delay)
        answer = b'{"ok":true,"result":{"message_id":1,"date":0,"chat":{"id":5,"type":"private"}}}'
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})  # fmt: skip
        await send({"type": "http.response.body", "body": answer})


async def _send_with(request: BaseRequest, url: str) -> None:
    bot = Bot(TOKEN, base_url=f"{url}/bot", request=request)
    await request.initialize()
    try:
        await bot.send_message(
            chat_id=5, text="héllo & =?+ / ünïcode 🙂", reply_markup=None, parse_mode="HTML"
        )
    finally:
        await request.shutdown()


async def test_the_form_is_the_one_httpx_sends() -> None:
    recorder = Recorder()
    async with serve(recorder) as url:
        await _send_with(HTTPXRequest(), url)
        await _send_with(AiohttpRequest(), url)
    (httpx_type, httpx_agent, httpx_body), (ours_type, ours_agent, ours_body) = recorder.seen
    assert ours_type == httpx_type == "application/x-www-form-urlencoded"
    assert ours_agent == httpx_agent == BaseRequest.USER_AGENT
    assert parse_qsl(ours_body.decode()) == parse_qsl(httpx_body.decode())
    assert dict(parse_qsl(ours_body.decode()))["text"] == "héllo & =?+ / ünïcode 🙂"


async def test_a_per_call_timeout_applies_to_that_call_only() -> None:
    async with serve(Recorder(delay=0.3)) as url:
        request = AiohttpRequest(read_timeout=5.0)
        await request.initialize()
        try:
            data = None
            target = f"{url}/bot{TOKEN}/getMe"
            with pytest.raises(TimedOut):
                await request.post(target, data, read_timeout=0.05)
            assert await request.post(target, data)  # the default read timeout again
            with pytest.raises(TimedOut):
                await request.post(target, data, read_timeout=0.05)
        finally:
            await request.shutdown()

"""The contract for the polling host: polled updates go the webhook's way (the same update
rule, the same dedup, the same per-chat order), against a getUpdates feed on real uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

import tgserve
from tests.asgi_body import read_body
from tests.conftest import TOKEN
from tgserve._hosts.polling import Poller
from tgserve._runtime import Runtime
from tgserve.testing import serve

pytestmark = pytest.mark.timeout(60)


def update(update_id: int, chat: int = 7) -> dict[str, Any]:
    message = {"message_id": update_id, "date": 0, "chat": {"id": chat, "type": "private"}}
    return {"update_id": update_id, "message": {**message, "text": str(update_id)}}


class Feed:
    """getUpdates as Telegram answers it: items from the offset on (an item sorts by
    ``after``, its position), a short long poll when there are none; ``ok`` for the rest."""

    def __init__(self) -> None:
        self.items: list[tuple[int, Any]] = []
        self.offsets: list[int] = []

    def put(self, item: Any, after: int | None = None) -> None:
        self.items.append((item["update_id"] if after is None else after, item))

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = await read_body(receive)
        result: Any = True
        if scope["path"].endswith("/getUpdates"):
            params = json.loads(body or b"{}")
            offset = params.get("offset") or 0
            self.offsets.append(offset)
            self.items = [(n, item) for n, item in self.items if n >= offset]
            if not self.items:
                await asyncio.sleep(0.05)
            result = [item for _, item in self.items][: params.get("limit", 100)]
        elif scope["path"].endswith("/getMe"):
            result = {"id": 123456789, "is_bot": True, "first_name": "Feed"}
        payload = json.dumps({"ok": True, "result": result}).encode()
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


class Recorder:
    def __init__(self) -> None:
        self.seen: list[int] = []

    async def __call__(self, data: dict[str, Any], bot: tgserve.BotAPI) -> None:
        await asyncio.sleep(0.001 * (data["update_id"] % 3))  # chats interleave
        self.seen.append(data["update_id"])

    async def wait(self, count: int) -> None:
        async with asyncio.timeout(10):
            while len(self.seen) < count:
                await asyncio.sleep(0.005)


@contextlib.asynccontextmanager
async def polling(feed: Feed, recorder: Recorder) -> AsyncIterator[Poller]:
    async with serve(feed) as url:
        config = tgserve.Config.load({"token": TOKEN, "api_url": url}, env={})
        runtime = Runtime(recorder, config, host="polling")
        poller = Poller(runtime, tgserve.BotAPI(TOKEN, url, max_retries=0), timeout=1)
        task = asyncio.ensure_future(poller.run())
        try:
            yield poller
        finally:
            poller.stop()
            await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), 10)


async def test_each_update_once_in_chat_order_duplicates_not_again() -> None:
    feed, recorder = Feed(), Recorder()
    for n in range(1, 14):
        feed.put(update(n, chat=n % 3))
    feed.put(update(4, chat=1), after=4)  # one update twice in one getUpdates answer
    async with polling(feed, recorder) as poller:
        await recorder.wait(13)
        for n in range(14, 20):
            feed.put(update(n, chat=n % 3))
        await recorder.wait(19)
        await asyncio.sleep(0.1)
    assert sorted(recorder.seen) == list(range(1, 20))
    for chat in range(3):
        ids = [n for n in recorder.seen if n % 3 == chat]
        assert ids == sorted(ids)
    counts = poller.runtime.counts
    assert counts["handled"] == 19 and counts["duplicates"] == 1
    assert poller.offset == 20 and feed.offsets[-1] == 20  # confirmed at stop


@pytest.mark.parametrize(
    "bad", [[1, 2], "text", {"message": {}}, {"update_id": "12"}, {"update_id": -1}]
)
async def test_what_a_webhook_refuses_with_400_polling_skips(bad: Any) -> None:
    feed, recorder = Feed(), Recorder()
    feed.put(update(1))
    feed.put(bad, after=1)
    feed.put(update(2))
    async with polling(feed, recorder) as poller:
        await recorder.wait(2)
    assert recorder.seen == [1, 2]
    assert poller.runtime.counts["rejected_400"] >= 1
    assert poller.runtime.counts["handled"] == 2

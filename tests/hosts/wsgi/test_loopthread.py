"""The loop thread: one per process, restarted when dead, fresh after fork, drained at exit;
/readyz tells a dead or blocked loop."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import TOKEN
from tests.hosts.wsgi.client import WSGIClient

import tgserve
from tgserve import _loopthread as loopthread
from tgserve._hosts.wsgi import WSGIApp

pytestmark = pytest.mark.timeout(60)
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def app() -> Iterator[tuple[WSGIApp, list[int]]]:
    seen: list[int] = []

    async def handle(update: dict[str, Any], bot: tgserve.BotAPI) -> None:
        seen.append(update["update_id"])

    wsgi_app = tgserve.wsgi(handle, token=TOKEN, ack="inline")
    yield wsgi_app, seen
    wsgi_app.close(1.0)


def call(app: WSGIApp, method: str, path: str, body: bytes = b"") -> int:
    client = WSGIClient(app)
    headers = {"content-type": "application/json"}
    return client._call(method, path, headers, body).status


def update(update_id: int) -> bytes:
    return json.dumps({"update_id": update_id}).encode()


def test_one_thread_one_loop_for_every_request(app: tuple[WSGIApp, list[int]]) -> None:
    wsgi_app, seen = app

    async def where() -> tuple[int, asyncio.AbstractEventLoop]:
        return threading.get_ident(), asyncio.get_running_loop()

    first = loopthread.run(where(), 5)
    assert first[0] != threading.get_ident()
    results: list[int] = []
    threads = [
        threading.Thread(
            target=lambda i=i: results.append(call(wsgi_app, "POST", "/webhook", update(i)))
        )
        for i in range(20)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results == [200] * 20 and sorted(seen) == list(range(20))
    assert loopthread.run(where(), 5) == first
    assert wsgi_app.runtime.loop is first[1]


def test_dead_thread_is_reported_then_restarted(app: tuple[WSGIApp, list[int]]) -> None:
    wsgi_app, seen = app
    assert call(wsgi_app, "GET", "/readyz") == 200
    old = loopthread.get()
    old.loop.call_soon_threadsafe(old.loop.stop)
    old.thread.join(5)
    assert not old.alive
    assert call(wsgi_app, "GET", "/readyz") == 503
    assert call(wsgi_app, "GET", "/readyz") == 200
    assert loopthread.get() is not old and old.loop.is_closed()
    assert call(wsgi_app, "POST", "/webhook", update(5)) == 200
    assert seen == [5]


def test_blocked_loop_is_not_ready_within_a_second(app: tuple[WSGIApp, list[int]]) -> None:
    wsgi_app, _ = app
    assert call(wsgi_app, "GET", "/readyz") == 200

    async def block() -> None:
        time.sleep(1.6)  # the "health works, commands fail" failure

    blocked = loopthread.submit(block())
    began = time.monotonic()
    assert call(wsgi_app, "GET", "/readyz") == 503
    assert time.monotonic() - began < 1.5
    assert call(wsgi_app, "GET", "/healthz") == 200
    blocked.result(5)
    assert call(wsgi_app, "GET", "/readyz") == 200


def test_submit_from_the_loop_thread_is_refused() -> None:
    async def inner() -> str:
        try:
            loopthread.submit(asyncio.sleep(0))
        except RuntimeError as exc:
            return str(exc)
        return "accepted"

    assert "loop thread" in loopthread.run(inner(), 5)


def test_fork_gives_the_child_its_own_thread_and_exit_drains() -> None:
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests/hosts/wsgi/forkcheck.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "child ok" in out and "parent ok" in out
    assert out.count("tgserve.runtime stopped") == 2, out  # the child's and the parent's
    for needle in ("Event loop is closed", "Traceback", "never retrieved", "Exception ignored"):
        assert needle not in out, out

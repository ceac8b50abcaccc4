"""Load through real WSGI servers: gunicorn (gthread, 2 workers x 8 threads, --preload) and
Flask's threaded development server; 32 concurrent clients post 2,000 updates from 40 chats
to a Flask app with the tgserve view. Beside them, the broken pattern loses updates.

Heavy: about a minute in all.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.conftest import TOKEN
from tests.conftest_servers import free_port, stop

from tgserve.testing import BotAPIStub, serve

pytestmark = pytest.mark.timeout(240)

ROOT = Path(__file__).resolve().parents[3]
CHATS = 40
UPDATES = 2000
CLIENTS = 32
JSON = {"content-type": "application/json"}
LOOP_ERRORS = (
    "Event loop is closed",
    "never retrieved",
    "was never awaited",
    "Traceback",
    "Exception ignored",
)


def updates() -> dict[int, list[dict[str, Any]]]:
    by_chat: dict[int, list[dict[str, Any]]] = {}
    for i in range(UPDATES):
        chat = 1000 + i % CHATS
        message = {"message_id": i, "date": 0, "chat": {"id": chat, "type": "private"}}
        by_chat.setdefault(chat, []).append(
            {"update_id": 10_000 + i, "message": {**message, "text": f"m{i}"}}
        )
    return by_chat


def post_all(
    url: str, by_chat: dict[int, list[dict[str, Any]]], timeout: float = 30
) -> tuple[int, float]:
    """Each chat's updates in order on its own keep-alive connection, at most ``CLIENTS``
    requests at once; returns (failed requests, seconds)."""
    gate = threading.Semaphore(CLIENTS)
    failures: list[int | str] = []
    host, port = url.removeprefix("http://").split(":")

    def chat(items: list[dict[str, Any]]) -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
        try:
            for update in items:
                body = json.dumps(update).encode()
                with gate:
                    try:
                        conn.request("POST", "/webhook", body, JSON)
                        response = conn.getresponse()
                        response.read()
                        if response.status != 200:
                            failures.append(response.status)
                    except (OSError, http.client.HTTPException) as exc:
                        failures.append(repr(exc))
                        conn.close()
        finally:
            conn.close()

    threads = [threading.Thread(target=chat, args=(items,)) for items in by_chat.values()]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    if failures:
        print("failed requests:", failures[:10])
    return len(failures), time.monotonic() - began


@pytest.fixture
def stub() -> Iterator[tuple[BotAPIStub, str]]:
    """The recording Bot API on its own thread and loop, so that it is not the bottleneck."""
    bot_api = BotAPIStub()
    ready = threading.Event()
    found: dict[str, Any] = {}

    async def run() -> None:
        found["loop"] = asyncio.get_running_loop()
        found["done"] = done = asyncio.Event()
        async with serve(bot_api, http="httptools") as url:
            found["url"] = url
            ready.set()
            await done.wait()

    thread = threading.Thread(target=asyncio.run, args=(run(),), daemon=True)
    thread.start()
    assert ready.wait(20), "the Bot API stub did not start"
    yield bot_api, found["url"]
    found["loop"].call_soon_threadsafe(found["done"].set)
    thread.join(20)


def start(server: str, kind: str, api_url: str, log: Path, **env: str) -> tuple[Any, str]:
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("TGSERVE_")}
    environ |= {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TGSERVE_API_URL": api_url,
        "TGSERVE_TEST_BOT": kind,
        "TGSERVE_TEST_PORT": str(port),
        "TGSERVE_ACK": "inline",
        # the subject is order and once-only; Telegram's pace (1 message a second a chat) would
        # stretch 2,000 replies over 40 chats to 100 s a case (tests/limits covers the pace)
        "TGSERVE_LIMITS": "off",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),  # this tree's tgserve
        **env,
    }
    if server == "gunicorn":  # two workers need a shared store (memory:// is refused)
        environ.setdefault("TGSERVE_STORE", f"sqlite:///{log.parent / 'bot.db'}")
        args = [
            sys.executable, "-m", "gunicorn", "-k", "gthread", "--threads", "8", "-w", "2",
            "--preload", "-b", f"127.0.0.1:{port}", "--graceful-timeout", "20",
            "--keep-alive", "30",
            "tests.hosts.wsgi.flaskapp:app",
        ]  # fmt: skip
    else:
        args = [sys.executable, "-m", "tests.hosts.wsgi.flaskapp"]
    out = log.open("wb")
    proc = subprocess.Popen(args, cwd=ROOT, env=environ, stdout=out, stderr=out)
    out.close()
    return proc, f"http://127.0.0.1:{port}"


async def wait_ready(proc: Any, url: str, log: Path) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=2) as client:
        for _ in range(300):
            assert proc.poll() is None, log.read_text()
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError("server not ready:\n" + log.read_text())


def finish(proc: Any) -> None:
    """Graceful stop: SIGTERM for gunicorn, SIGINT (KeyboardInterrupt) for Flask's server."""
    if proc.poll() is None and "gunicorn" not in proc.args:
        proc.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(20)
    stop(proc)


@pytest.fixture
def procs() -> Iterator[list[Any]]:
    started: list[Any] = []
    yield started
    for proc in started:
        finish(proc)


@pytest.mark.parametrize("server", ["gunicorn", "flask"])
@pytest.mark.parametrize("kind", ["plain", "ptb"])
async def test_every_update_once_in_chat_order(
    server: str,
    kind: str,
    stub: tuple[BotAPIStub, str],
    procs: list[Any],
    tmp_path: Path,
) -> None:
    bot_api, api_url = stub
    log = tmp_path / "server.log"
    proc, url = start(server, kind, api_url, log, TGSERVE_TEST_WARM="1")
    procs.append(proc)
    await wait_ready(proc, url, log)
    by_chat = updates()
    failures, seconds = await asyncio.to_thread(post_all, url, by_chat)
    await asyncio.to_thread(finish, proc)
    text = log.read_text()
    print(f"\n{server}/{kind}: {UPDATES / seconds:.0f} updates/s, {failures} failed requests")
    assert failures == 0, f"{failures} failed requests\n{text}"
    assert len(bot_api.sent()) == UPDATES, text
    for chat, items in by_chat.items():
        got = [str(c.params["text"]) for c in bot_api.by_chat[chat]]
        assert got == [str(u["update_id"]) for u in items], f"chat {chat} out of order or lost"
    assert proc.returncode == 0, text
    for needle in LOOP_ERRORS:
        assert needle not in text, f"server log shows {needle!r}:\n{text}"


async def test_broken_pattern_loses_updates(
    stub: tuple[BotAPIStub, str], procs: list[Any], tmp_path: Path
) -> None:
    """A loop per request, closed after run_until_complete, under a PTB bot: its HTTPX client
    stays bound to the first (closed) loop, so replies fail. What tgserve prevents."""
    bot_api, api_url = stub
    log = tmp_path / "broken.log"
    proc, url = start("flask", "broken", api_url, log)
    procs.append(proc)
    await wait_ready(proc, url, log)
    some = {chat: items[:10] for chat, items in list(updates().items())[:10]}
    failures, _ = await asyncio.to_thread(post_all, url, some, 3.0)
    await asyncio.to_thread(finish, proc)
    posted = sum(len(v) for v in some.values())
    handled = len(bot_api.sent())
    text = log.read_text()
    print(f"\nbroken pattern: {handled}/{posted} replied, {failures} failed requests")
    assert handled < posted
    assert "Event loop is closed" in text or "bound to a different event loop" in text

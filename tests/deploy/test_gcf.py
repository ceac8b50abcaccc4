"""``tgserve.gcf(bot)`` under the real ``functions-framework`` command in its own process
(gunicorn with threads, as Cloud Functions runs it)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.conftest import SECRET, TOKEN
from tests.conftest_servers import free_port, wait_port

pytest.importorskip("functions_framework")
pytestmark = pytest.mark.timeout(90)

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "tests" / "deploy" / "apps" / "gcf_main.py"
GOOD = {"x-telegram-bot-api-secret-token": SECRET, "content-type": "application/json"}


def command() -> list[str]:
    exe = shutil.which("functions-framework")
    if exe is not None:
        return [exe]
    return [sys.executable, "-m", "functions_framework"]


class Served:
    def __init__(self, tmp: Path, **env: str) -> None:
        self.port = free_port()
        self.log = tmp / "handled.log"
        self.out = tmp / "ff.out"
        self.env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TGSERVE_SECRET_TOKEN": SECRET,
            "TGSERVE_API_URL": "http://127.0.0.1:9",
            "TGSERVE_TEST_LOG": str(self.log),
            **env,
        }
        args = [*command(), "--target", "handler", "--source", str(SOURCE)]
        args += ["--host", "127.0.0.1", "--port", str(self.port)]
        with self.out.open("wb") as out:
            self.proc = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=out, stderr=out)
        self.url = f"http://127.0.0.1:{self.port}"

    def handled(self) -> list[int]:
        return [int(x) for x in self.log.read_text().split()] if self.log.exists() else []

    def output(self) -> str:
        return self.out.read_text(errors="replace")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    s = Served(tmp_path)
    try:
        wait_port(s.port, s.proc, 30)
        yield s
    finally:
        s.stop()


def update(update_id: int, text: str = "hi") -> bytes:
    message = {"message_id": 1, "date": 0, "chat": {"id": update_id, "type": "private"}}
    return json.dumps({"update_id": update_id, "message": {**message, "text": text}}).encode()


def test_updates_are_handled_before_the_answer(served: Served) -> None:
    with httpx.Client(base_url=served.url, timeout=10) as client:
        began = time.perf_counter()
        reply = client.post("/webhook", headers=GOOD, content=update(1, "slow"))
        assert reply.status_code == 200, reply.text
        assert time.perf_counter() - began >= 0.9  # inline: the CPU is ours until we answer
        assert served.handled() == [1]
        assert client.post("/webhook", headers=GOOD, content=update(1)).status_code == 200
        assert client.get("/healthz").json() == {"ok": True}
        assert client.get("/readyz").status_code == 200
        info = client.get("/webhook")
        assert info.status_code == 200 and info.json()["ok"] is True
        assert TOKEN not in info.text and SECRET not in info.text
        assert client.post("/webhook", content=update(2)).status_code == 401
        bad = client.post("/webhook", headers=GOOD, content=b"{nope")
        assert bad.status_code == 400 and bad.json()["ok"] is False
        assert client.post("/other", headers=GOOD, content=update(3)).status_code == 404
    assert served.handled() == [1]


def test_concurrent_requests_share_one_loop(served: Served) -> None:
    def post(n: int) -> int:
        with httpx.Client(base_url=served.url, timeout=10) as client:
            return client.post("/webhook", headers=GOOD, content=update(n)).status_code

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(post, range(10, 34))) == [200] * 24
    assert sorted(served.handled()) == list(range(10, 34))


def test_sigterm_stops_cleanly(served: Served) -> None:
    with httpx.Client(base_url=served.url, timeout=10) as client:
        assert client.post("/webhook", headers=GOOD, content=update(5)).status_code == 200
    assert served.stop() == 0, served.output()
    assert "Traceback" not in served.output()
    assert TOKEN not in served.output()


def test_background_ack_is_refused_at_start(tmp_path: Path) -> None:
    s = Served(tmp_path, TGSERVE_ACK="background")
    try:
        s.proc.wait(30)
    finally:
        s.stop()
    assert s.proc.returncode != 0
    assert "ack='background' cannot work on Cloud Functions" in s.output()
    assert TOKEN not in s.output()


async def quiet(update: dict[str, object], bot: object) -> None:
    return None


def test_queue_mode_stores_only(tmp_path: Path) -> None:
    import tgserve

    function = tgserve.gcf(quiet, token=TOKEN, ack="queue", store=f"sqlite:///{tmp_path}/q.db")
    try:
        assert function.app.runtime.worker is None  # workers run elsewhere
    finally:
        function.close(1.0)

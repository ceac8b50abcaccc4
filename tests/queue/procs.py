"""Serving and worker processes for the multi-process tests, and the log they share."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import TOKEN
from tests.conftest_servers import free_port

BOT = str(Path(__file__).with_name("sidebot.py")) + ":handle"
FORBIDDEN = ("Event loop is closed", "never retrieved", "was never awaited", "Traceback")


def bot_env(store: str, log: Path, bot_id: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TGSERVE_")}
    env |= {
        "TELEGRAM_BOT_TOKEN": f"{bot_id}:{TOKEN.split(':')[1]}",
        "TGSERVE_API_URL": "http://127.0.0.1:9",
        "TGSERVE_STORE": store,
        "TGSERVE_TEST_LOG": str(log),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }
    return env


@dataclasses.dataclass
class Proc:
    """One child process: a serving replica (with a port) or a worker."""

    args: list[str]
    env: dict[str, str]
    out: Path
    port: int | None = None
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.out.open("ab") as out:
            self.popen = subprocess.Popen(self.args, env=self.env, stdout=out, stderr=out)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.popen is not None and self.popen.poll() is None, self.out.read_text()
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"{self.url} not ready")

    def signal(self, sig: int) -> None:
        assert self.popen is not None
        self.popen.send_signal(sig)

    def wait(self, timeout: float = 15.0) -> int:
        assert self.popen is not None
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(5)
            raise

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.wait()


def server(env: dict[str, str], out: Path, port: int | None = None) -> Proc:
    port = port or free_port()
    args = [sys.executable, "-m", "tgserve", "serve", BOT, "--port", str(port)]
    return Proc([*args, "--log-level", "warning"], env, out, port)


def worker(env: dict[str, str], out: Path, lease: float) -> Proc:
    args = [sys.executable, "-m", "tgserve", "worker", BOT, "--lease", str(lease)]
    return Proc([*args, "--log-level", "warning"], env, out)


def update(update_id: int, chat: int) -> dict[str, object]:
    return {"update_id": update_id, "message": {"chat": {"id": chat}, "text": str(update_id)}}


@dataclasses.dataclass(frozen=True)
class Line:
    update_id: int
    chat: int
    attempt: int
    pid: int
    at: float


def count_lines(log: Path) -> int:
    return len(log.read_bytes().splitlines()) if log.exists() else 0


def read_log(log: Path) -> list[Line]:
    lines = []
    for raw in log.read_text().splitlines():
        u, c, a, p, t = raw.split()
        lines.append(Line(int(u), int(c), int(a), int(p), float(t)))
    return lines


def clean_output(paths: list[Path]) -> None:
    """No child logged a loop error, a traceback or the token."""
    secret = TOKEN.split(":")[1]
    for path in paths:
        text = path.read_text(errors="replace") if path.exists() else ""
        for needle in (*FORBIDDEN, secret):
            assert needle not in text, f"{path.name} shows {needle!r}:\n{text[-2000:]}"

"""`tgserve ...` as a real process, and the local Telegram's control API it serves."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
BOTS = Path(__file__).resolve().parent / "bots"


def environment(**changes: str | None) -> dict[str, str]:
    """This process's environment without a bot token or tgserve setting, then ``changes``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TGSERVE_", "TELEGRAM_"))}
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def tgserve(
    *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    """Run ``tgserve ARGS`` to its end (bounded at 60 s)."""
    return subprocess.run(
        [sys.executable, "-m", "tgserve", *args],
        capture_output=True,
        text=True,
        env=environment() if env is None else env,
        cwd=cwd,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


class Running:
    """``tgserve run BOT`` on a local Telegram, started until it prints "Ctrl-C stops"."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tgserve", "run", *args, "--port", "0", "--emulator-port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=environment() if env is None else env,
            cwd=ROOT,
        )
        self.lines: list[str] = []
        self.url = ""
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            self.lines.append(line)
            found = re.search(r"http://127\.0\.0\.1:\d+", line)
            self.url = self.url or (found.group(0) if found else "")
            if "Ctrl-C stops" in line:
                self.http = httpx.Client(
                    base_url=f"{self.url}/_emulator", trust_env=False, timeout=10
                )
                return
            if not line and self.proc.poll() is not None:
                break
        self.proc.kill()
        self.proc.wait()
        raise AssertionError("tgserve run did not start:\n" + "".join(self.lines))

    def say(self, text: str) -> None:
        user_id = self.http.get("/state").json()["users"][0]["id"]
        answer = self.http.post("/send", json={"user_id": user_id, "text": text}).json()
        assert answer["ok"], answer

    def texts(self, count: int) -> list[str]:
        """The private chat's texts once it holds ``count`` messages (10 s at most)."""
        user_id = self.http.get("/state").json()["users"][0]["id"]
        texts: list[str] = []
        for _ in range(200):
            listing: dict[str, Any] = self.http.get("/messages", params={"chat_id": user_id}).json()
            texts = [m["message"].get("text", "") for m in listing["messages"]]
            if len(texts) >= count:
                break
            time.sleep(0.05)
        return texts

    def stop(self) -> str:
        """Ctrl-C; the whole output, once the process ended with 0."""
        self.http.close()
        self.proc.send_signal(signal.SIGINT)
        out, _ = self.proc.communicate(timeout=30)
        output = "".join(self.lines) + out
        assert self.proc.returncode == 0, output
        return output

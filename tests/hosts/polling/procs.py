"""Poller processes (``tgserve poll``) for the restart and lock tests, and their shared log."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import TOKEN

ROOT = Path(__file__).resolve().parents[3]
BOT = str(Path(__file__).with_name("pollbot.py")) + ":handle"
FORBIDDEN = ("Event loop is closed", "never retrieved", "was never awaited", "Traceback")


@dataclasses.dataclass
class Poller:
    """One ``tgserve poll`` child process writing its output to ``out``."""

    api_url: str
    log: Path
    out: Path
    store: str = "memory://"
    lock: str = "none"
    lease: float = 2.0
    extra: list[str] = dataclasses.field(default_factory=list)
    bot: str = BOT
    env: dict[str, str] = dataclasses.field(default_factory=dict)
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TGSERVE_")}
        env |= {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TGSERVE_API_URL": self.api_url,
            "TGSERVE_STORE": self.store,
            "TGSERVE_LEASE": str(self.lease),
            "TGSERVE_TEST_LOG": str(self.log),
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),  # this tree's tgserve
            "PYTHONUNBUFFERED": "1",
            **self.env,
        }
        args = [
            sys.executable,
            "-m",
            "tgserve",
            "poll",
            self.bot,
            "--lock",
            self.lock,
            "--timeout",
            "1",
        ]
        args += self.extra
        with self.out.open("ab") as out:
            self.popen = subprocess.Popen(args, env=env, stdout=out, stderr=out, cwd=ROOT)

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    async def signal(self, sig: signal.Signals) -> int:
        """Send ``sig`` and wait for the exit; returns the exit code."""
        assert self.popen is not None
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
        return await asyncio.to_thread(self.popen.wait, 30)

    def kill(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(10)


def handled(log: Path) -> list[tuple[int, int, str, int]]:
    """``(update_id, chat, text, pid)`` per handled update, in the order they were logged."""
    if not log.exists():
        return []
    rows = []
    for line in log.read_text().splitlines():
        update_id, chat, text, pid = line.split()
        rows.append((int(update_id), int(chat), text, int(pid)))
    return rows


async def wait_handled(log: Path, count: int, timeout: float = 30) -> None:
    async with asyncio.timeout(timeout):
        while len({row[0] for row in handled(log)}) < count:
            await asyncio.sleep(0.02)


def clean(out: Path) -> str:
    text = out.read_text() if out.exists() else ""
    for needle in FORBIDDEN:
        assert needle not in text, f"poller output shows {needle!r}:\n{text}"
    assert TOKEN not in text and TOKEN.split(":")[1] not in text, "poller output shows the token"
    return text

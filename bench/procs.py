"""Child processes of the benchmark: start on a free port, read /proc figures, stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

from loadgen import wait_port

HERE = Path(__file__).resolve().parent
TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """One server script (``--port`` and ``--api-url``) in its own process."""

    def __init__(self, script: str, args: list[str], api_url: str | None, log: IO[bytes]) -> None:
        self.port = free_port()
        command = [sys.executable, str(HERE / script), "--port", str(self.port)]
        if api_url is not None:
            command += ["--api-url", api_url]
        # the stub is not Telegram: no send limits (their cost: bench/limits_bench.py)
        env = {**os.environ, "TGSERVE_LIMITS": os.environ.get("TGSERVE_LIMITS", "off")}
        self.proc = subprocess.Popen(
            command + args, stdout=log, stderr=log, cwd=HERE.parent, env=env
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_ready(self, timeout: float = 30.0) -> None:
        end = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode} before it listened")
            try:
                wait_port("127.0.0.1", self.port, 0.2)
                return
            except OSError:
                if time.monotonic() > end:
                    raise

    def cpu_seconds(self) -> float:
        """User + system CPU of the process and its waited-for children."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return sum(int(x) for x in fields[11:15]) / TICK

    def tree_cpu_seconds(self) -> float:
        """User + system CPU of the process and of its live children (worker processes)."""
        total = self.cpu_seconds()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.pid:
                total += sum(int(x) for x in fields[11:15]) / TICK
        return total

    def status_kb(self, name: str) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1])
        return 0

    def stop(self, timeout: float = 8.0) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode

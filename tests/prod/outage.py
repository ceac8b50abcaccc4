"""Redis and PostgreSQL servers that a test can kill and start again on the same port."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from tests.conftest_servers import (
    PG_BINS,
    REDIS_BIN,
    free_port,
    init_postgres,
    missing,
    postgres_args,
    redis_args,
    wait_port,
)


class Restartable:
    """``start()``, ``kill()`` (SIGKILL: no goodbye to clients), ``start()`` again."""

    url = ""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self) -> None:
        self.proc = subprocess.Popen(
            self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_port(self.port, self.proc)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None


class RedisServer(Restartable):
    def __init__(self, folder: Path) -> None:
        if not os.path.exists(REDIS_BIN):
            missing("redis-server")
        super().__init__()
        self.folder = folder
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def command(self) -> list[str]:
        return redis_args(self.port, str(self.folder))


class PostgresServer(Restartable):
    def __init__(self, folder: Path) -> None:
        if not PG_BINS:
            missing("PostgreSQL (initdb, postgres)")
        super().__init__()
        self.bindir = PG_BINS[-1]
        self.folder = folder
        self.data = folder / "data"
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres")
        init_postgres(self.bindir, str(self.data))
        self.url = f"postgresql://tgserve@127.0.0.1:{self.port}/postgres"

    def command(self) -> list[str]:
        return postgres_args(self.bindir, str(self.data), self.port, str(self.folder))

    def start(self) -> None:
        super().start()
        time.sleep(0.3)  # the port opens a moment before connections are accepted

    def kill(self) -> None:
        """SIGKILL the postmaster itself (runuser stands between it and this process)."""
        pidfile = self.data / "postmaster.pid"
        if pidfile.exists():
            pid = int(pidfile.read_text().split()[0])
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and _alive(pid):
                time.sleep(0.02)
        super().kill()
        while _listening(self.port):  # its backends exit once the postmaster is gone
            time.sleep(0.02)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie of runuser's is gone for our purpose
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except OSError:
        return False


def _listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
        return True
    return False

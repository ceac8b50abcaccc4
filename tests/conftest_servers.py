"""Real Redis and PostgreSQL servers for the store tests, started from the system binaries.

A missing binary fails the test in CI (``CI=true``) and skips it elsewhere.
"""

from __future__ import annotations

import contextlib
import glob
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REDIS_BIN = shutil.which("redis-server") or "/usr/bin/redis-server"
PG_BINS = sorted(glob.glob("/usr/lib/postgresql/*/bin"))


def _ephemeral_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A port free now, drawn at random from below the kernel's ephemeral range: a port the
    kernel hands out (port 0) can be taken by any outgoing connection in the moment between
    this check and a server's bind; one below that range only by another test's server."""
    top = _ephemeral_start()
    for _ in range(200):
        port = random.randrange(max(1024, top - 12000), top)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise OSError("no free port below the ephemeral range")


def missing(what: str) -> None:
    message = f"{what} is not installed; the store tests need a real server"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"server did not listen on 127.0.0.1:{port}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def redis_args(port: int, folder: str) -> list[str]:
    """A memory-only redis-server on 127.0.0.1:``port``."""
    return [
        REDIS_BIN, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
        "--appendonly", "no", "--dir", folder,
    ]  # fmt: skip


def init_postgres(bindir: str, data: str) -> None:
    """A new cluster in ``data`` (user ``tgserve``, trust), owned by postgres under root."""
    subprocess.run(
        _as_postgres(
            [
                f"{bindir}/initdb", "-D", data, "-U", "tgserve", "-A", "trust", "--no-sync",
                "-E", "UTF8",
            ]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip


def postgres_args(bindir: str, data: str, port: int, folder: str, *settings: str) -> list[str]:
    """The postmaster of ``data`` on 127.0.0.1:``port``, without fsync (a killed postmaster
    keeps its commits; a lost machine need not), plus ``settings`` (``name=value``)."""
    return _as_postgres(
        [
            f"{bindir}/postgres", "-D", data, "-p", str(port),
            "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={folder}",
            "-c", "fsync=off", "-c", "full_page_writes=off",
            *(arg for setting in settings for arg in ("-c", setting)),
        ]
    )  # fmt: skip


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """``redis://127.0.0.1:PORT/0`` of a fresh, memory-only redis-server."""
    if not os.path.exists(REDIS_BIN):
        missing("redis-server")
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen(
            redis_args(port, tmp), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            wait_port(port, proc)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            stop(proc)


def _as_postgres(args: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return args
    return ["runuser", "-u", "postgres", "--", *args]


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """``postgresql://...`` of a fresh cluster in a temporary directory, on loopback."""
    if not PG_BINS:
        missing("PostgreSQL (initdb, postgres)")
    bindir = PG_BINS[-1]
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "data")
        if os.geteuid() == 0:
            shutil.chown(tmp, "postgres")
        init_postgres(bindir, data)
        proc = subprocess.Popen(
            postgres_args(bindir, data, port, tmp, "synchronous_commit=off", "max_connections=200"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_port(port, proc)
            time.sleep(0.3)  # the port opens a moment before connections are accepted
            yield f"postgresql://tgserve@127.0.0.1:{port}/postgres"
        finally:
            stop(proc)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@contextlib.contextmanager
def redis_cluster(nodes: int = 3) -> Iterator[str]:
    """``redis://127.0.0.1:PORT/0`` of one node of a fresh Redis Cluster of ``nodes``
    masters on loopback (no replicas), once every slot is served."""
    cli = shutil.which("redis-cli")
    if not os.path.exists(REDIS_BIN) or cli is None:
        missing("redis-server and redis-cli")
    ports: list[int] = []
    while len(ports) < nodes:  # each node also listens on its port + 10000 (the cluster bus)
        port = free_port()
        if port + 10000 < 65536 and port not in ports:
            ports.append(port)
    procs: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as tmp:
        try:
            for port in ports:
                base = [REDIS_BIN, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
                procs.append(
                    subprocess.Popen(
                        [
                            *base,
                            "--appendonly",
                            "no",
                            "--dir",
                            tmp,
                            "--cluster-enabled",
                            "yes",
                            "--cluster-config-file",
                            f"nodes-{port}.conf",
                        ],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                )
            for port, proc in zip(ports, procs, strict=True):
                wait_port(port, proc)
            subprocess.run(
                [
                    cli,
                    "--cluster",
                    "create",
                    *(f"127.0.0.1:{p}" for p in ports),
                    "--cluster-replicas",
                    "0",
                    "--cluster-yes",
                ],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=30,
            )
            deadline = time.monotonic() + 20
            while True:
                info = subprocess.run(
                    [cli, "-p", str(ports[0]), "cluster", "info"],
                    capture_output=True,
                    text=True,
                    timeout=5,
                    check=False,
                ).stdout
                if "cluster_state:ok" in info:
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError("the Redis Cluster did not reach cluster_state:ok")
                time.sleep(0.1)
            yield f"redis://127.0.0.1:{ports[0]}/0"
        finally:
            for proc in procs:
                stop(proc)


@pytest.fixture(scope="session")
def redis_cluster_url() -> Iterator[str]:
    with redis_cluster() as url:
        yield url

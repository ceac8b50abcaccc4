"""Several worker processes with a per-process store are refused, with one line."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import TOKEN
from tests.conftest_servers import free_port, stop
from tgserve._config import Config, ConfigError
from tgserve._workers import declared_workers, per_process, refuse_several_workers

ROOT = Path(__file__).resolve().parents[2]
FIX = "set TGSERVE_STORE to a shared store"


def env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("TGSERVE_")}
    return base | {"TELEGRAM_BOT_TOKEN": TOKEN, "PYTHONPATH": f"{ROOT}/src:{ROOT}", **extra}


def gunicorn(port: int, workers: int, log: Path, **extra: str) -> subprocess.Popen[bytes]:
    args = [
        sys.executable, "-m", "gunicorn", "-k", "gthread", "--threads", "4",
        "-w", str(workers), "-b", f"127.0.0.1:{port}", "tests.prod.wsgiapp:app",
    ]  # fmt: skip
    out = log.open("wb")
    try:
        return subprocess.Popen(args, cwd=ROOT, env=env(**extra), stdout=out, stderr=out)
    finally:
        out.close()


def test_gunicorn_two_workers_with_memory_store_refuses_to_start(tmp_path: Path) -> None:
    log = tmp_path / "gunicorn.log"
    proc = gunicorn(free_port(), 2, log)
    try:
        code = proc.wait(60)
    finally:
        stop(proc)
    text = log.read_text()
    assert code != 0, text
    lines = [line for line in text.splitlines() if FIX in line]
    assert lines, text
    assert "gunicorn runs 2 worker processes" in lines[0] and "memory://" in lines[0]
    assert "tgserve" not in text.replace(lines[0], "") and "App failed to load" in text


def test_gunicorn_two_workers_with_a_shared_store_serve(tmp_path: Path) -> None:
    log = tmp_path / "gunicorn.log"
    port = free_port()
    store = f"sqlite:///{tmp_path}/bot.db"
    proc = gunicorn(port, 2, log, TGSERVE_STORE=store, TGSERVE_ACK="queue")
    try:
        deadline = time.monotonic() + 30
        status = None
        while time.monotonic() < deadline and status != 200:
            assert proc.poll() is None, log.read_text()
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code
            except httpx.HTTPError:
                time.sleep(0.1)
        assert status == 200, log.read_text()
    finally:
        stop(proc)


def test_gunicorn_two_workers_with_ack_background_refuse_to_start(tmp_path: Path) -> None:
    log = tmp_path / "gunicorn.log"
    proc = gunicorn(free_port(), 2, log, TGSERVE_STORE=f"sqlite:///{tmp_path}/bot.db")
    try:
        code = proc.wait(60)
    finally:
        stop(proc)
    text = log.read_text()
    assert code != 0 and "with ack=background" in text and "use TGSERVE_ACK=queue" in text


def test_one_gunicorn_worker_with_memory_store_serves(tmp_path: Path) -> None:
    log = tmp_path / "gunicorn.log"
    port = free_port()
    proc = gunicorn(port, 1, log)
    try:
        deadline = time.monotonic() + 30
        status = None
        while time.monotonic() < deadline and status != 200:
            assert proc.poll() is None, log.read_text()
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code
            except httpx.HTTPError:
                time.sleep(0.1)
        assert status == 200, log.read_text()
    finally:
        stop(proc)


def test_uvicorn_workers_are_read_by_uvicorns_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    assert declared_workers(["/venv/bin/uvicorn", "app:app", "--workers", "3"]) == ("uvicorn", 3)
    assert declared_workers(["/x/uvicorn/__main__.py", "app:app"]) == ("uvicorn", 1)
    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    assert declared_workers(["uvicorn", "app:app"]) == ("uvicorn", 4)
    assert declared_workers(["python", "bot.py"]) == (None, None)


def test_per_process_stores() -> None:
    assert per_process("memory://") and per_process("sqlite://:memory:")
    assert not per_process("sqlite:///bot.db") and not per_process("redis://h/0")


HEARTBEAT_SERVER = """
import multiprocessing, sys, time

async def handle(update, bot):
    pass

def child(queue):
    import tgserve
    try:
        tgserve.asgi(handle, token=sys.argv[1])
        queue.put("started")
    except ValueError as exc:
        queue.put(str(exc))
    time.sleep(5)  # alive while the other one looks

if __name__ == "__main__":
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    kids = [ctx.Process(target=child, args=(queue,)) for _ in range(2)]
    for kid in kids:
        kid.start()
    for _ in kids:
        print(queue.get(timeout=60), flush=True)
    for kid in kids:
        kid.terminate()
"""


def test_heartbeats_find_a_second_worker_of_an_unknown_server(tmp_path: Path) -> None:
    server = tmp_path / "granian"  # a server whose worker count tgserve cannot read
    server.write_text(HEARTBEAT_SERVER)
    out = subprocess.run(
        [sys.executable, str(server), TOKEN],
        env=env(),
        capture_output=True,
        text=True,
        timeout=90,
        check=True,
    ).stdout
    assert "granian runs 2 worker processes" in out and FIX in out, out


def test_refusal_is_one_line_and_names_the_fix() -> None:
    config = Config.load({"token": TOKEN}, env={})
    refuse_several_workers(config, "1", "aws_lambda")  # never on Lambda or polling
    refuse_several_workers(config, "1", "polling")
    with pytest.raises(ConfigError) as caught:
        from tgserve import _workers as workers

        original = workers.declared_workers
        workers.declared_workers = lambda argv: ("gunicorn", 4)  # type: ignore[assignment]
        try:
            refuse_several_workers(config, "1", "wsgi")
        finally:
            workers.declared_workers = original
    message = str(caught.value)
    assert "\n" not in message and FIX in message and "gunicorn runs 4" in message

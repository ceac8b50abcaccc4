"""`tgserve serve --workers N`: a per-process store is refused; with a shared store each
chat's updates are handled once, in order, one at a time, across real worker processes."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import TOKEN
from tests.conftest_servers import free_port, redis_server
from tgserve.cli._serve import workers_rule

pytestmark = pytest.mark.timeout(120)
BOT = str(Path(__file__).with_name("order_bot.py")) + ":handle"


def serve(*args: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "tgserve", "serve", BOT, *args, "--log-level", "warning"]
    return subprocess.Popen(command, env={**os.environ, **env}, stderr=subprocess.PIPE)


def test_rules_for_several_workers() -> None:
    assert workers_rule(1, {}) is None
    refusal = workers_rule(2, {})
    assert refusal is not None and "TGSERVE_STORE=redis://" in refusal and "\n" not in refusal
    env = {"TGSERVE_STORE": "redis://127.0.0.1:1/0"}
    assert workers_rule(2, env) is None and env["TGSERVE_ACK"] == "queue"  # the safe default
    refusal = workers_rule(2, {"TGSERVE_STORE": "sqlite:///x.db", "TGSERVE_ACK": "background"})
    assert refusal is not None and "TGSERVE_ACK=queue" in refusal
    assert workers_rule(2, {"TGSERVE_STORE": "sqlite:///x.db", "TGSERVE_ACK": "inline"}) is None
    assert workers_rule(2, {"TGSERVE_STORE": "sqlite://:memory:"}) is not None


def test_memory_store_with_two_workers_is_refused_in_one_line() -> None:
    proc = serve("--workers", "2", "--port", str(free_port()), env={"TELEGRAM_BOT_TOKEN": TOKEN})
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1 and "memory:// is per process" in lines[0]


def update(update_id: int, chat: int) -> dict[str, Any]:
    return {"update_id": update_id, "message": {"chat": {"id": chat}, "text": "t", "date": 0}}


def test_two_workers_keep_each_chats_order_and_handle_once(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "order.jsonl"
    with redis_server() as store:
        env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TGSERVE_STORE": store, "ORDER_LOG": str(log)}
        proc = serve("--workers", "2", "--port", str(port), env=env)
        try:
            url = f"http://127.0.0.1:{port}/webhook"
            with httpx.Client(timeout=10) as client:
                for _ in range(300):
                    try:
                        if client.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                            break
                    except httpx.TransportError:
                        time.sleep(0.1)
                sent = 0
                for n in range(1, 121):  # 4 chats, sent over fresh connections to both workers
                    answer = httpx.post(url, json=update(n, chat=n % 4), timeout=10)
                    assert answer.status_code == 200
                    sent += 1
                assert httpx.post(url, json=update(7, chat=3)).status_code == 200  # duplicate
                for _ in range(300):
                    if log.exists() and len(log.read_text().splitlines()) >= sent:
                        break
                    time.sleep(0.05)
                time.sleep(0.3)
        finally:
            proc.terminate()
            proc.communicate(timeout=30)
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert sorted(r["update_id"] for r in records) == list(range(1, 121))  # once each
    by_chat: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in sorted(records, key=lambda r: r["began"]):
        by_chat[r["chat"]].append(r)
    for chat, rows in by_chat.items():
        ids = [r["update_id"] for r in rows]
        assert ids == sorted(ids), chat  # in order
        for a, b in itertools.pairwise(rows):
            assert a["ended"] <= b["began"], chat  # one at a time, even across processes
    assert len({r["pid"] for r in records}) == 2  # both workers took part

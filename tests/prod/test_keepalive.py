"""WSGI under gunicorn gthread with keep-alive: every refusal leaves the connection usable.

A body the app does not read is either skipped (bounded) or the server closes the
connection properly, with ``Connection: close``; a client's next request never meets
"Server disconnected without sending a response".
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import SECRET
from tests.conftest_servers import free_port, stop
from tests.prod.test_workers import ROOT, env

GOOD = {"x-telegram-bot-api-secret-token": SECRET, "content-type": "application/json"}
UPDATE = json.dumps({"update_id": 5, "message": {"chat": {"id": 1}, "text": "x"}}).encode()


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("keepalive") / "gunicorn.log"
    port = free_port()
    args = [
        sys.executable, "-m", "gunicorn", "-k", "gthread", "--threads", "4", "-w", "1",
        "--keep-alive", "30", "-b", f"127.0.0.1:{port}", "tests.prod.wsgiapp:app",
    ]  # fmt: skip
    extra = {"TGSERVE_SECRET_TOKEN": SECRET, "TGSERVE_MAX_BODY_BYTES": "4096"}
    out = log.open("wb")
    proc = subprocess.Popen(args, cwd=ROOT, env=env(**extra), stdout=out, stderr=out)
    out.close()
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield url
    finally:
        stop(proc)
    assert "Traceback" not in log.read_text()


def chunks(size: int) -> Iterator[bytes]:
    for _ in range(size // 8192):
        yield b"[" * 8192


CASES = [
    ("POST", "/webhook", {"content-type": "application/json"}, UPDATE, 401),
    ("POST", "/nope", GOOD, UPDATE, 404),
    ("PUT", "/webhook", GOOD, UPDATE, 405),
    ("POST", "/webhook", GOOD, b"{" + b" " * 5000 + b"}", 413),
    ("POST", "/webhook", GOOD, b" " * (3 << 20), 413),  # far over: the server closes
    ("POST", "/webhook", {**GOOD, "content-type": "text/plain"}, UPDATE, 415),
    ("POST", "/webhook", GOOD, b"not json", 400),
    ("POST", "/webhook", GOOD, UPDATE, 200),
]


def test_refusals_over_one_keep_alive_connection(gunicorn: str) -> None:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    with httpx.Client(base_url=gunicorn, limits=limits, timeout=10) as client:
        for _ in range(2):
            for method, path, headers, body, status in CASES:
                reply = client.request(method, path, headers=headers, content=body)
                assert reply.status_code == status, (method, path, reply.text)
                assert status == 200 or reply.json()["ok"] is False
                assert client.get("/healthz").status_code == 200  # the next request works
            big = client.post("/webhook", headers=GOOD, content=chunks(64 << 10))  # chunked
            assert big.status_code == 413
            assert client.get("/healthz").status_code == 200


def test_a_413_that_is_not_skipped_says_connection_close(gunicorn: str) -> None:
    host, port = gunicorn.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        head = (
            "POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"X-Telegram-Bot-Api-Secret-Token: {SECRET}\r\nContent-Length: {8 << 20}\r\n\r\n"
        )
        sock.sendall(head.encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    text = answer.decode("latin-1").lower()
    assert text.startswith("http/1.1 413") and "connection: close" in text

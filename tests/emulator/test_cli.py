"""`tgserve run` on a local Telegram, `tgserve emulator` and `tgserve webhook` as processes."""

from __future__ import annotations

import json
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


def start(*args: str) -> tuple[subprocess.Popen[str], str]:
    """Start `tgserve ARGS`; return the process and the first URL it prints."""
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tgserve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    url = ""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:\d+", line)
        url = url or (found.group(0) if found else "")
        if "Ctrl-C stops" in line:
            return proc, url
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise AssertionError(f"tgserve {args} did not start")


def stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, out
    return out


def test_run_echo_on_a_local_telegram() -> None:
    proc, url = start("run", "examples/echo.py", "--port", "0", "--emulator-port", "0")
    try:
        with httpx.Client(base_url=f"{url}/_emulator", trust_env=False, timeout=10) as http:
            state = http.get("/state").json()
            assert state["bots"][0]["webhook"].endswith("/webhook")
            user_id = state["users"][0]["id"]
            http.post("/send", json={"user_id": user_id, "text": "ping"})
            texts: list[str] = []
            for _ in range(100):
                listing = http.get("/messages", params={"chat_id": user_id}).json()
                texts = [m["message"]["text"] for m in listing["messages"]]
                if len(texts) == 2:
                    break
                time.sleep(0.05)
            assert texts == ["ping", "ping"]
            assert http.get(url).text.lower().startswith("<!doctype html>")
    finally:
        out = stop(proc)
    assert "stopped" in out and "Traceback" not in out


def test_emulator_command() -> None:
    proc, url = start("emulator", "--port", "0")
    try:
        with httpx.Client(base_url=f"{url}/_emulator", trust_env=False, timeout=10) as http:
            state = http.get("/state").json()
            (test_bot,) = state["bots"]  # pre-created, its token shown nowhere
            assert test_bot["first_name"] == "Test Bot" and "token" not in test_bot
            you = next(u for u in state["users"] if u["first_name"] == "You")
            sent = http.post("/send", json={"user_id": you["id"], "text": "hi"}).json()
            assert sent["ok"] and sent["message"]["bot_id"] == test_bot["id"]
        token = "123:" + "A" * 35
        me = httpx.get(f"{url}/bot{token}/getMe", trust_env=False).json()
        assert me["ok"] and me["result"]["id"] == 123
    finally:
        out = stop(proc)
    assert "A" * 35 not in out
    assert re.search(r"\d+:[A-Za-z0-9_-]{35}", out) is None, "a token was printed"


def test_webhook_commands_against_the_emulator() -> None:
    proc, url = start("emulator", "--port", "0")
    token = "4242:" + "b" * 35
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": token, "TGSERVE_API_URL": url}
    env["TGSERVE_SECRET_TOKEN"] = "cli-secret"

    def tgserve(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tgserve", "webhook", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=30,
        )

    try:
        assert tgserve("set", "https://example.test/webhook").stdout.strip() == "setWebhook: ok"
        assert '"url": "https://example.test/webhook"' in tgserve("info", "--json").stdout
        assert "url:              https://example.test/webhook" in tgserve("info").stdout
        assert tgserve("delete", "--drop-pending").returncode == 0
        bad = tgserve("set", "ftp://nope")
        assert bad.returncode == 1 and "bad webhook" in bad.stderr
        assert token not in bad.stderr and "b" * 35 not in bad.stderr
    finally:
        stop(proc)


def test_run_reports_a_bad_target_in_one_line() -> None:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tgserve",
            "run",
            "examples/echo.py:nothing",
            "--emulator-port",
            "0",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "tgserve: examples/echo.py has no attribute 'nothing'"


async def test_webhook_errors_mask_percent_encoded_tokens(monkeypatch: Any) -> None:
    """`tgserve webhook` uses tgserve._redact, which masks `%3A`-encoded tokens too."""
    import asyncio

    from tgserve.cli import _webhook as webhook
    from tgserve.emulator._credentials import fresh_token
    from tgserve.testing import serve

    token = fresh_token()
    echoed = token.replace(":", "%3A")

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = json.dumps({"ok": False, "description": f"no route /bot{echoed}/getMe"}).encode()
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": body})

    async with serve(app, lifespan="off") as url:
        monkeypatch.setenv("TGSERVE_API_URL", url)
        ok, detail = await asyncio.to_thread(webhook.call, token, "getMe", {})
    assert ok is False and "no route /bot" in detail
    assert token.split(":")[1] not in detail and echoed not in detail

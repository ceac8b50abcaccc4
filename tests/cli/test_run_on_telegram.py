"""`tgserve run` with a token: the webhook set, tgserve's logging, and a graceful stop."""

from __future__ import annotations

import asyncio
import json
import signal
import sys

import httpx

from tests.cli.process import ROOT, environment
from tests.conftest_servers import free_port
from tgserve.emulator import Emulator

SECRET = "run-secret"


async def test_run_with_a_token_serves_under_tgserve_logging() -> None:
    async with Emulator() as tg:
        alice = tg.user("alice")
        port = free_port()
        env = environment(
            TELEGRAM_BOT_TOKEN=tg.token,
            TGSERVE_API_URL=tg.api_url,
            TGSERVE_SECRET_TOKEN=SECRET,
            TGSERVE_LOG_FORMAT="json",
        )
        proc = await asyncio.create_subprocess_exec(
            *[sys.executable, "-m", "tgserve", "run", "examples/echo.py", "--host", "127.0.0.1"],
            *["--port", str(port), "--url", "https://bot.example.test"],
            env=env,
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}", trust_env=False
            ) as http:
                for _ in range(300):
                    try:
                        if (await http.get("/readyz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.05)
                hook = tg.bot().webhook
                assert hook is not None and hook.url == "https://bot.example.test/webhook"
                update = {
                    "update_id": 7,
                    "message": {
                        "message_id": 1,
                        "date": 0,
                        "chat": {"id": alice.id, "type": "private"},
                        "text": "over the webhook",
                    },
                }
                headers = {"x-telegram-bot-api-secret-token": SECRET}
                answer = await http.post("/webhook", json=update, headers=headers)
                assert answer.status_code == 200
                assert (await alice.chat.next_message(timeout=10)).text == "over the webhook"
        finally:
            proc.send_signal(signal.SIGTERM)
            out, err = await asyncio.wait_for(proc.communicate(), 30)
    # uvicorn stops gracefully, then re-raises the signal, as a shell expects of a process
    assert proc.returncode == -signal.SIGTERM, err.decode()
    assert out.decode().splitlines() == [
        f"tgserve: webhook set to https://bot.example.test/webhook; serving on port {port}"
    ]
    records = [json.loads(line) for line in err.decode().splitlines()]  # all tgserve's format
    loggers = {r["logger"] for r in records}
    assert {"uvicorn.error", "tgserve.runtime"} <= loggers
    messages = [r["message"] for r in records]
    assert "stopped ({'received': 1, 'handled': 1})" in messages
    assert messages[-2:] == [
        "Application shutdown complete.",
        f"Finished server process [{proc.pid}]",
    ]
    assert tg.token.split(":")[1] not in err.decode()

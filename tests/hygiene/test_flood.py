"""Slow and bad requests cannot hold the standalone server: a body that never ends is cut
off, and a flood of bad requests (1,000/s, plus slow-body and idle connections) leaves valid
updates at most 2x slower. Loopback only, bounded in time (about 5-10 s: the heavy one here)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import tgserve
from tests.conftest import SECRET, TOKEN
from tests.conftest_servers import free_port
from tgserve.testing import serve

pytestmark = pytest.mark.timeout(90)

GOOD = {"x-telegram-bot-api-secret-token": SECRET, "content-type": "application/json"}
ROUNDS, PER_ROUND = 6, 40  # valid updates: rounds of alone, then under flood
FLOOD_SECONDS = 20.0  # the flood's upper bound; it is stopped as soon as we have measured
FLOOD_RATE = 1000  # bad requests a second, ten times a busy bot's real traffic


async def nothing(update: dict[str, Any], bot: tgserve.BotAPI) -> None:
    return None


async def test_a_body_that_never_ends_is_cut_off() -> None:
    app = tgserve.asgi(nothing, token=TOKEN, secret_token=SECRET)
    app.body_timeout = 0.3
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
        port = int(url.rsplit(":", 1)[1])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"POST /webhook HTTP/1.1\r\nhost: x\r\nx-telegram-bot-api-secret-token: "
            + SECRET.encode()
            + b'\r\ncontent-length: 500\r\n\r\n{"update_id": '
        )
        began = time.monotonic()
        async with asyncio.timeout(5):
            # meanwhile the server answers others at once
            ok = await client.post("/webhook", content=b'{"update_id": 1}', headers=GOOD)
            assert ok.status_code == 200
            answer = await reader.read()  # the server closes the connection after answering
        writer.close()
        elapsed = time.monotonic() - began
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert b"body read timed out" in answer
    assert 0.25 <= elapsed < 3


@contextlib.contextmanager
def standalone_server(port: int) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TGSERVE_SECRET_TOKEN": SECRET,
        "TGSERVE_LOG_FORMAT": "json",
    }
    bot = "tests/hygiene/floodbot.py:handle"
    args = ["-m", "tgserve", "serve", bot, "--port", str(port), "--log-level", "warning"]
    proc = subprocess.Popen([sys.executable, *args], env=env, stderr=subprocess.PIPE)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            _, err = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        text = err.decode(errors="replace")
        assert TOKEN not in text and SECRET not in text
        assert "Traceback" not in text, text[-2000:]


async def latencies(client: httpx.AsyncClient, first_id: int, count: int) -> list[float]:
    out = []
    for i in range(count):
        body = json.dumps({"update_id": first_id + i, "message": {"chat": {"id": i}}})
        began = time.perf_counter()
        reply = await client.post("/webhook", content=body, headers=GOOD)
        out.append(time.perf_counter() - began)
        assert reply.status_code == 200
    return out


async def test_a_flood_of_bad_requests_does_not_slow_valid_updates_2x() -> None:
    """Rounds of valid updates with the flood paused (SIGSTOP) and running (SIGCONT), so a
    busy machine's drift weighs on both sides alike; medians compared."""
    port = free_port()
    alone: list[float] = []
    flooded: list[float] = []
    with standalone_server(port):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            async with asyncio.timeout(20):
                while True:
                    with contextlib.suppress(httpx.TransportError):
                        if (await client.get("/readyz")).status_code == 200:
                            break
                    await asyncio.sleep(0.05)
            await latencies(client, 1, 50)  # warm up
            flood = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.hygiene.flood",
                str(port),
                str(FLOOD_SECONDS),
                str(FLOOD_RATE),
                SECRET,
                stdout=asyncio.subprocess.PIPE,
            )
            flood_time = 0.0
            try:
                await asyncio.sleep(0.5)  # the flood connects
                for n in range(ROUNDS):
                    flood.send_signal(signal.SIGSTOP)
                    await asyncio.sleep(0.05)
                    alone += await latencies(client, 10_000 + 1000 * n, PER_ROUND)
                    flood.send_signal(signal.SIGCONT)
                    began = time.monotonic()
                    await asyncio.sleep(0.05)
                    flooded += await latencies(client, 500_000 + 1000 * n, PER_ROUND)
                    flood_time += time.monotonic() - began
                still = flood.returncode is None
            finally:
                if flood.returncode is None:
                    flood.send_signal(signal.SIGCONT)
                    flood.terminate()
                await flood.communicate()
            info = (await client.get("/webhook")).json()
    rejected = {k: v for k, v in info["counts"].items() if k.startswith("rejected_")}
    base, loaded = statistics.median(alone), statistics.median(flooded)
    print(
        f"\nvalid update median: alone {base * 1000:.2f} ms, under flood {loaded * 1000:.2f} ms"
        f" ({loaded / base:.2f}x); p90 {statistics.quantiles(alone, n=10)[-1] * 1000:.2f}"
        f" vs {statistics.quantiles(flooded, n=10)[-1] * 1000:.2f} ms; flood answered about"
        f" {sum(rejected.values()) / flood_time:.0f} bad requests/s: {rejected}"
    )
    assert still, "the flood ended before the measurement did"
    assert sum(rejected.values()) > len(flooded), "the flood did not reach the server"
    assert loaded <= 2 * base

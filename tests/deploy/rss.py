"""RSS of each process of docker-compose.yml at a paced update rate, outside a container:
the image's start commands (webhook in queue mode, worker) with the compose environment,
a real redis-server, the Bot API stub; loopback only, bounded in count and time.

    python -m tests.deploy.rss --rate 100 --seconds 60

Prints one JSON object: peak and last RSS (MB) of webhook, worker and redis-server, and
updates sent, answered 200 and handled. docs/deploy.md holds a run's figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from tests.conftest_servers import free_port, stop, wait_port
from tests.deploy import container
from tgserve.testing import BotAPIStub, serve

TOKEN = "4242424242:" + "R" * 35  # token-shaped; the stub accepts any
SECRET = "rss-measurement-secret"


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _update(update_id: int, chats: int = 100) -> bytes:
    chat = 100_000 + update_id % chats
    message = {"message_id": update_id, "date": 1_700_000_000, "text": f"hello {update_id}"}
    message["chat"] = {"id": chat, "type": "private"}  # type: ignore[assignment]
    message["from"] = {"id": chat, "is_bot": False, "first_name": "R"}  # type: ignore[assignment]
    return json.dumps({"update_id": update_id, "message": message}).encode()


async def measure(rate: float, seconds: float, settle: float = 1.0) -> dict[str, Any]:
    redis_bin = shutil.which("redis-server") or "/usr/bin/redis-server"
    redis_port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        redis = subprocess.Popen(
            [
                redis_bin,
                "--port",
                str(redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--dir",
                tmp,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_port(redis_port, redis)
            return await _run(
                rate, seconds, settle, f"redis://127.0.0.1:{redis_port}/0", redis.pid, tmp
            )
        finally:
            stop(redis)


async def _run(
    rate: float, seconds: float, settle: float, redis_url: str, redis_pid: int, tmp: str
) -> dict[str, Any]:
    stub = BotAPIStub()
    async with serve(stub) as api_url:
        port = free_port()
        values = {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TGSERVE_SECRET_TOKEN": SECRET,
            "TGSERVE_STORE": redis_url,
            "TGSERVE_API_URL": api_url,
            "PORT": str(port),
            "TGSERVE_LOG_LEVEL": "WARNING",
        }
        log = (Path(tmp) / "processes.log").open("wb")
        web = container.Process(
            container.loopback(container.image_cmd()),
            {**container.service_env("webhook", values), **values},
            log,
        )
        worker_cmd = container.compose()["services"]["worker"]["command"]
        work = container.Process(
            worker_cmd, {**container.service_env("worker", values), **values}, log
        )
        procs = {"webhook": web.rss_kb, "worker": work.rss_kb, "redis": lambda: _rss_kb(redis_pid)}
        peak = dict.fromkeys(procs, 0)
        try:
            await asyncio.to_thread(wait_port, port, web.proc, 30)
            await asyncio.sleep(settle)
            idle = {name: read() for name, read in procs.items()}
            total = int(rate * seconds)
            ok = 0
            latencies: list[float] = []
            headers = {
                "x-telegram-bot-api-secret-token": SECRET,
                "content-type": "application/json",
            }
            # aiohttp, not httpx: httpx's pool is the bottleneck of a paced load well before
            # 100 requests/s (its queued requests wait seconds for a connection)
            connector = aiohttp.TCPConnector(limit=40)
            url = f"http://127.0.0.1:{port}/webhook"
            async with aiohttp.ClientSession(connector=connector) as client:

                async def post(n: int) -> None:
                    nonlocal ok
                    t0 = time.perf_counter()
                    async with client.post(url, headers=headers, data=_update(n)) as reply:
                        await reply.read()
                        ok += reply.status == 200
                    latencies.append(time.perf_counter() - t0)

                began = time.perf_counter()
                tasks = []
                next_sample = began
                for n in range(1, total + 1):  # paced: update n leaves at n / rate seconds
                    delay = began + n / rate - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    tasks.append(asyncio.ensure_future(post(n)))
                    if time.perf_counter() >= next_sample:
                        for name, read in procs.items():
                            peak[name] = max(peak[name], read())
                        next_sample += 0.5
                await asyncio.gather(*tasks)
                sent_for = time.perf_counter() - began
                async with asyncio.timeout(max(30.0, seconds)):
                    while len(stub.sent()) < ok:
                        await asyncio.sleep(0.1)
            last = {name: read() for name, read in procs.items()}
            for name in procs:
                peak[name] = max(peak[name], last[name])
        finally:
            await asyncio.gather(
                asyncio.to_thread(web.terminate), asyncio.to_thread(work.terminate)
            )
            log.close()
    mb = 1 / 1024
    return {
        "rate": rate,
        "seconds": round(sent_for, 1),
        "sent": total,
        "answered_200": ok,
        "handled": len(stub.sent()),
        "ack_ms_p50_p99": [round(q * 1000, 1) for q in _quantiles(latencies, (0.5, 0.99))],
        "idle_mb": {k: round(v * mb, 1) for k, v in idle.items()},
        "peak_mb": {k: round(v * mb, 1) for k, v in peak.items()},
        "last_mb": {k: round(v * mb, 1) for k, v in last.items()},
    }


def _quantiles(values: list[float], qs: tuple[float, ...]) -> list[float]:
    ordered = sorted(values)
    return [ordered[min(len(ordered) - 1, int(q * len(ordered)))] for q in qs] if ordered else []


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rate", type=float, default=100.0, help="updates per second")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to send (max 300)")
    parser.add_argument("--settle", type=float, default=1.0, help="idle seconds before sending")
    args = parser.parse_args(argv)
    result = asyncio.run(measure(args.rate, min(args.seconds, 300.0), args.settle))
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()

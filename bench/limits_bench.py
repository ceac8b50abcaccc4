"""Send governor benchmark: its cost per call on memory:// and on Redis, and end-to-end
replies per second of a plain bot with the governor on and off, side by side in one run.

Cost per call: ``Governor.acquire`` for a reply (``sendMessage`` to one of 1,000 chats)
with limits far above the load, so that nothing waits: what the governor adds to every
send. End to end: a plain bot, updates fed to the runtime (background ack), each
answered with one ``sendMessage`` to tgserve's recording Bot API stub on loopback;
rounds alternate governor off and on, with limits no send reaches. The target: on
within 10% of off. Redis is a ``redis-server`` started here on a free port (skipped if
the binary is missing).

Run: ``python bench/limits_bench.py [--calls 20000] [--updates 3000] [--rounds 3]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "limits_bench.json"
TOKEN = "123456789:AAH" + "x7Kp2Qm9Zr4Tv8Wn3Ys6Ub1Lc5Dg0F_e"  # token-shaped, not a token
HIGH = "bot=1000000,chat=1000000,group=1000000"


@contextlib.contextmanager
def redis_server() -> Iterator[str | None]:
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory() as tmp:
        args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", tmp]
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(200):
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
                    break
                time.sleep(0.02)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            proc.terminate()
            proc.wait(10)


async def cost_per_call(store_url: str, calls: int) -> float:
    """Microseconds per ``acquire`` of a reply that need not wait."""
    from tgserve._stores import open_store
    from tgserve.limits import Governor, open_ledger, parse, scope

    store = open_store(store_url, namespace=f"bench{time.monotonic_ns()}")
    await store.open()
    try:
        limits = parse(HIGH)
        assert limits is not None
        governor = Governor(limits, open_ledger(store, "bench"))
        loop = asyncio.get_running_loop()
        with scope(loop.time() + 3600):
            for n in range(200):  # warm-up
                await governor.acquire("sendMessage", {"chat_id": n})
            began = time.perf_counter()
            for n in range(calls):
                await governor.acquire("sendMessage", {"chat_id": n % 1000})
            return (time.perf_counter() - began) / calls * 1e6
    finally:
        await store.close()


async def replies_per_second(limits: str, updates: int) -> float:
    """A plain bot's replies per second, updates fed straight to the runtime."""
    from tgserve._config import Config
    from tgserve._runtime import Runtime
    from tgserve.testing import BotAPIStub, serve

    async def handle(update: dict[str, Any], bot: Any) -> None:
        chat = update["message"]["chat"]["id"]
        await bot.call("sendMessage", chat_id=chat, text="pong")

    stub = BotAPIStub()
    async with serve(stub) as url:
        config = Config.load(
            {"token": TOKEN, "api_url": url, "limits": limits, "metrics": False}, env={}
        )
        runtime = Runtime(handle, config)
        await runtime.start()
        try:
            began = time.perf_counter()
            for n in range(updates):
                update = {"update_id": n + 1, "message": {"chat": {"id": n % 500}, "text": "x"}}
                await runtime.accept(update)
            await stub.wait_for(updates, timeout=600)
            return updates / (time.perf_counter() - began)
        finally:
            await runtime.stop(5.0)


async def main(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {"cost_us": {}, "replies_per_s": {"off": [], "on": []}}
    results["cost_us"]["memory"] = round(await cost_per_call("memory://", args.calls), 2)
    with redis_server() as redis_url:
        if redis_url is not None:
            results["cost_us"]["redis"] = round(await cost_per_call(redis_url, args.calls), 2)
    for _ in range(args.rounds):
        for mode, limits in (("off", "off"), ("on", HIGH)):
            rate = await replies_per_second(limits, args.updates)
            results["replies_per_s"][mode].append(round(rate, 1))
    off = statistics.median(results["replies_per_s"]["off"])
    on = statistics.median(results["replies_per_s"]["on"])
    results["on_vs_off"] = round(on / off, 3)
    results["target_met"] = on >= 0.9 * off
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--updates", type=int, default=3_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-save", action="store_true")
    options = parser.parse_args()
    out = asyncio.run(main(options))
    print(json.dumps(out, indent=2))
    if not options.no_save:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(out, indent=2) + "\n")

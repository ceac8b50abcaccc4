"""Shared bot state benchmark: a PTB bot whose every update is one conversation step.

For each store (Redis, PostgreSQL; SQLite on request), the same bot runs with
``state="off"`` (PTB's memory, dedup in the store) and ``state="on"`` (conversations and
``user_data`` read from and written to the store around every update), side by side in
interleaved rounds. Updates go through the runtime's inline path (claim, handler, state
save, done) from ``--chats`` chats at once, each chat's updates in order; every update
replies once to the Bot API stub (bench/stub.py, its own process). Reported: updates/s,
CPU ms per update in this process, and the state's cost per update (on minus off).

    python bench/state_bench.py [--updates 3000] [--chats 50] [--rounds 3]
    python bench/state_bench.py --quick            # a tiny smoke run
    python bench/state_bench.py --direct [--stores redis]  # the bridge alone: CPU us/update

Writes bench/results/state_bench.json (or --out) and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from tests.conftest_servers import postgres_server, redis_server  # noqa: E402

TOKEN = "4343434343:" + "C" * 35  # token-shaped; the stub accepts any
A, B = 1, 2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def stub_server() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "stub.py"), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


def build_bot(api_url: str, *, reply: bool = True) -> Any:
    """Two states, A and B, each update one step; every step counts in user_data."""
    from telegram import Update
    from telegram.ext import (
        ApplicationBuilder,
        ContextTypes,
        ConversationHandler,
        MessageHandler,
        filters,
    )

    async def step(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        assert context.user_data is not None and update.message is not None
        context.user_data["n"] = context.user_data.get("n", 0) + 1
        if reply:
            await update.message.reply_text(f"step {context.user_data['n']}")
        return B if context.user_data["n"] % 2 else A

    app = ApplicationBuilder().token(TOKEN).base_url(f"{api_url}/bot").updater(None).build()
    handler = MessageHandler(filters.TEXT, step)
    app.add_handler(
        ConversationHandler(
            entry_points=[handler], states={A: [handler], B: [handler]}, fallbacks=[]
        )
    )
    return app


def update(update_id: int, chat: int) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_700_000_000,
            "chat": {"id": chat, "type": "private", "first_name": "u"},
            "from": {"id": chat, "is_bot": False, "first_name": "u"},
            "text": "next",
        },
    }


async def one_run(store: str, state: str, api_url: str, updates: int, chats: int) -> dict[str, Any]:
    from tgserve._config import Config
    from tgserve._runtime import Runtime

    config = Config.load(
        {
            "store": store,
            "state": state,
            "ack": "inline",
            "metrics": False,
            "gc_freeze": False,
            "limits": "off",  # the stub is not Telegram: no send limits to keep
        },
        env={},
    )
    runtime = Runtime(build_bot(api_url), config, host="bench", long_running=False)
    await runtime.start()
    base = int(time.time() * 1000) % 10**9 * 100  # fresh update ids: nothing is a duplicate
    per_chat = updates // chats
    chat_base = base  # fresh chats too: every run starts its conversations

    async def chat_run(chat: int) -> None:
        for i in range(per_chat):
            answer = await runtime.accept(update(base + chat * per_chat + i, chat_base + chat))
            assert answer.status == 200, answer

    try:
        await chat_run(0)  # warm: connections opened, schema created
        cpu, began = time.process_time(), time.perf_counter()
        await asyncio.gather(*(chat_run(c) for c in range(1, chats + 1)))
        wall, cpu = time.perf_counter() - began, time.process_time() - cpu
    finally:
        await runtime.stop()
    assert runtime.counts.get("failed", 0) == 0, runtime.counts
    done = per_chat * chats
    return {
        "store": store.split("://", 1)[0],
        "state": state,
        "updates": done,
        "per_s": round(done / wall, 1),
        "cpu_ms": round(cpu / done * 1000, 3),
        "wall_ms": round(wall / done * 1000 * chats, 3),  # per update, as one chat sees it
    }


async def direct_run(store: str, api_url: str, updates: int, chats: int) -> dict[str, Any]:
    """The bridge alone: CPU per update of PTB's process_update with and without the state
    load and save around it, one update at a time (no other task runs meanwhile), the
    handler not replying. Steadier on a busy machine than updates/s."""
    from telegram import Update

    from tgserve._stores import open_store
    from tgserve.state._backends import backend_for
    from tgserve.state._codec import JSONCodec
    from tgserve.state._ptb import use_state
    from tgserve.state._records import StateRecords

    opened = open_store(store, namespace=f"direct{time.time_ns()}")
    await opened.open()
    app = build_bot(api_url, reply=False)
    await app.initialize()
    bridge = use_state(
        app, StateRecords(backend_for(opened, None), JSONCodec(), "bench"), shared=True
    )
    assert bridge is not None
    base = int(time.time() * 1000) % 10**9 * 100
    cpu = {"off": 0.0, "on": 0.0}
    try:
        for i in range(updates // 2 * 2):
            chat = base + i % chats
            obj = Update.de_json(update(base + i, chat), app.bot)
            mode = "on" if i % 2 else "off"  # alternate, so both see the same machine
            began = time.process_time()
            if mode == "on":
                await bridge.around(obj, app.process_update)
            else:
                await app.process_update(obj)
            cpu[mode] += time.process_time() - began
    finally:
        await app.shutdown()
        await opened.close()
    half = updates // 2
    return {
        "store": store.split("://", 1)[0],
        "updates": half * 2,
        "ptb_cpu_us": round(cpu["off"] / half * 1e6, 1),
        "with_state_cpu_us": round(cpu["on"] / half * 1e6, 1),
        "state_cpu_us": round((cpu["on"] - cpu["off"]) / half * 1e6, 1),
    }


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| store | state off (updates/s) | state on (updates/s) | ratio | CPU ms off | CPU ms on "
        "| state cost (CPU ms/update) | latency ms off | latency ms on |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for store in dict.fromkeys(r["store"] for r in rows):
        off = next(r for r in rows if r["store"] == store and r["state"] == "off")
        on = next(r for r in rows if r["store"] == store and r["state"] == "on")
        lines.append(
            f"| {store} | {off['per_s']} | {on['per_s']} | {on['per_s'] / off['per_s']:.2f} "
            f"| {off['cpu_ms']} | {on['cpu_ms']} | {on['cpu_ms'] - off['cpu_ms']:.3f} "
            f"| {off['wall_ms']} | {on['wall_ms']} |"
        )
    return "\n".join(lines)


def median_rows(rounds: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    out = []
    for i, first in enumerate(rounds[0]):
        runs = [r[i] for r in rounds]
        row = dict(first)
        for key in ("per_s", "cpu_ms", "wall_ms"):
            row[key] = statistics.median(r[key] for r in runs)
        out.append(row)
    return out


async def bench(stores: dict[str, str], api_url: str, args: argparse.Namespace) -> Any:
    rounds = []
    for _ in range(args.rounds):
        results = []
        for url in stores.values():
            for state in ("off", "on"):
                results.append(await one_run(url, state, api_url, args.updates, args.chats))
        rounds.append(results)
    return median_rows(rounds), rounds


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--updates", type=int, default=3000)
    parser.add_argument("--chats", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--stores", default="redis,postgresql", help="of redis, postgresql, sqlite")
    parser.add_argument("--quick", action="store_true", help="tiny: 100 updates, 10 chats, 1 round")
    parser.add_argument(
        "--direct", action="store_true", help="the bridge alone: CPU us per update (direct_run)"
    )
    parser.add_argument("--out", type=Path, default=HERE / "results" / "state_bench.json")
    args = parser.parse_args()
    if args.quick:
        args.updates, args.chats, args.rounds = 100, 10, 1
    import logging

    logging.basicConfig(level=logging.WARNING)
    wanted = [s.strip() for s in args.stores.split(",") if s.strip()]
    with contextlib.ExitStack() as stack:
        stores: dict[str, str] = {}
        for name in wanted:
            if name == "redis":
                stores[name] = stack.enter_context(redis_server())
            elif name == "postgresql":
                stores[name] = stack.enter_context(postgres_server())
            elif name == "sqlite":
                tmp = stack.enter_context(contextlib.chdir(stack.enter_context(_tmpdir())))
                del tmp
                stores[name] = "sqlite:///state_bench.db"
            else:
                parser.error(f"unknown store {name!r}")
        api_url = stack.enter_context(stub_server())
        if args.direct:
            rows = [
                asyncio.run(direct_run(url, api_url, args.updates, args.chats))
                for url in stores.values()
                for _ in range(args.rounds)
            ]
            print("\n".join(json.dumps(row) for row in rows))
            return 0
        rows, rounds = asyncio.run(bench(stores, api_url, args))
    result = {
        "harness": "state_bench.py",
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "settings": {"updates": args.updates, "chats": args.chats, "rounds": args.rounds},
        "rows": rows,
        "rounds": rounds,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(table(rows))
    return 0


@contextlib.contextmanager
def _tmpdir() -> Iterator[str]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        yield tmp


if __name__ == "__main__":
    raise SystemExit(main())

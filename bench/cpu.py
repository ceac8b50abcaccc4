"""One process's CPU per update on the plain, PTB and aiogram paths, and where it goes.

    python bench/cpu.py [--updates 3000] [--profile] [--only plain ptb ...]

Each path is the tgserve ASGI app called in this process (no HTTP server in front, so
uvicorn's own share is left out) with the benchmark's bot, whose one ``sendMessage`` per
update goes over real HTTP to the Bot API stub in another process. CPU is this
process's ``time.process_time()`` over the updates, 40 at a time, divided by their
number: CPU time, not wall time, so other work on a shared machine moves it little.
``--profile`` adds cProfile's top functions by own time and the call counts per update
(counts do not depend on the machine at all).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import json
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / "contenders"))

import loadgen
from run import Stub

PATHS = ("silent", "plain", "ptb", "ptb-httpx", "ptb-aiohttp", "aiogram")


def build(path: str, api_url: str) -> Any:
    import _common

    import tgserve

    if path == "silent":  # tgserve's own path: a bot that sends nothing

        async def nothing(update: dict[str, Any], bot: Any) -> None:
            return None

        return tgserve.asgi(nothing, token=_common.TOKEN, api_url=api_url)
    if path == "plain":
        return tgserve.asgi(_common.plain_bot(), token=_common.TOKEN, api_url=api_url)
    if path == "aiogram":
        dispatcher, bot = _common.aiogram_bot(api_url)
        return tgserve.asgi(dispatcher, bot=bot, api_url=api_url)
    app = _common.ptb_application(api_url, aiohttp=path == "ptb-aiohttp")
    if path == "ptb-httpx":  # the swap turned off: PTB's stock HTTPXRequest as it is
        return tgserve.asgi(app, api_url=api_url, ptb_aiohttp=False)
    return tgserve.asgi(app, api_url=api_url)


async def post(app: Any, body: bytes) -> int:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/webhook",
        "raw_path": b"/webhook",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
    }
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def measure(path: str, stub: Stub, updates: int, profile: bool) -> dict[str, Any]:
    app = build(path, stub.url)
    await app.runtime.start()
    try:
        bodies = [loadgen.update_body(n) for n in range(1, updates + 301)]
        for body in bodies[:300]:  # warm up: connections, caches, first-call imports
            await post(app, body)
        await _settle(app, stub, 300)
        stub.reset()
        gc.collect()
        queue = iter(bodies[300:])
        profiler = cProfile.Profile() if profile else None

        async def worker() -> None:
            for body in queue:
                await post(app, body)

        began = time.process_time()
        if profiler is not None:
            profiler.enable()
        await asyncio.gather(*(worker() for _ in range(40)))
        await _settle(app, stub, updates)
        if profiler is not None:
            profiler.disable()
        cpu = time.process_time() - began
        replies = stub.count()[0]
        row: dict[str, Any] = {"path": path, "updates": updates}
        if path != "silent":
            row["replies"] = replies  # fewer than the updates: some replies failed
        row["cpu_ms_per_update"] = round(cpu / updates * 1000, 4)
        if profiler is not None:
            row["profile"] = _summary(profiler, updates)
        return row
    finally:
        await app.runtime.stop()


async def _settle(app: Any, stub: Stub, expected: int) -> None:
    """Wait until every update is handled (a handler ends once its reply is answered)."""
    end = time.monotonic() + 60
    while app.runtime.updates.scheduler.pending and time.monotonic() < end:
        await asyncio.sleep(0.002)


def _summary(profiler: cProfile.Profile, updates: int, top: int = 25) -> dict[str, Any]:
    stats = pstats.Stats(profiler, stream=io.StringIO())
    rows = []
    total_calls = 0
    for (file, line, name), (_cc, calls, tottime, _cum, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        total_calls += calls
        rows.append((tottime, calls, f"{name} ({Path(file).parent.name}/{Path(file).name}:{line})"))
    rows.sort(reverse=True)
    by_calls = sorted(((c / updates, w) for _t, c, w in rows), reverse=True)
    return {
        "all_calls": [[round(c, 2), w] for c, w in by_calls if c >= 0.1],
        "calls_per_update": round(total_calls / updates, 1),
        "top_own_time": [
            {"function": where, "calls_per_update": round(calls / updates, 2),
             "own_share": round(t / max(sum(r[0] for r in rows), 1e-9), 4)}
            for t, calls, where in rows[:top]
        ],
    }  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--updates", type=int, default=3000)
    parser.add_argument("--only", nargs="*", choices=PATHS)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--out", type=Path, default=None, help="write the rows as JSON")
    args = parser.parse_args()
    loadgen.use_uvloop()
    rows = []
    with open(Path(tempfile.mkdtemp(prefix="tgserve-cpu-")) / "stub.log", "wb") as log:
        stub = Stub(log)
        try:
            stub.server.wait_ready()
            for path in args.only or PATHS:
                row = asyncio.run(measure(path, stub, args.updates, args.profile))
                rows.append(row)
                replies = f"  ({row['replies']} replies)" if "replies" in row else ""
                print(
                    f"{path:12} {row['cpu_ms_per_update']:.3f} ms CPU per update{replies}",
                    flush=True,
                )
                for entry in row.get("profile", {}).get("top_own_time", []):
                    print(f"    {entry['own_share']:6.1%} {entry['calls_per_update']:7.2f}/u  "
                          f"{entry['function']}")  # fmt: skip
                if "profile" in row:
                    print(f"    {row['profile']['calls_per_update']} calls per update")
        finally:
            stub.server.stop()
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

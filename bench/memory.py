"""RSS of a tgserve server with a plain bot and with a PTB bot: idle, after a warm-up,
and after many updates (100,000; ``--quick``: 3,000). Flat within 5% of the warmed-up
figure means no leak. Writes bench/results/<date>-memory.json.

    python bench/memory.py [--quick] [--updates N]
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import loadgen
from procs import HERE, Server
from run import Stub, load

BOTS = {"plain": "contenders/tgserve_plain.py", "ptb": "contenders/tgserve_ptb.py"}
WARMUP = 2000
BATCH = 10_000


def measure(kind: str, updates: int, stub: Stub, log: Any) -> dict[str, Any]:
    server = Server(BOTS[kind], [], stub.url, log)
    try:
        server.wait_ready()
        time.sleep(0.5)
        idle = server.status_kb("VmRSS")
        stub.reset()
        load(server.port, WARMUP, 40, first_id=900_000_000)
        stub.wait_replies(WARMUP, 5.0, 60.0)
        time.sleep(0.5)
        warm = server.status_kb("VmRSS")
        stub.reset()
        sent = acked = 0
        series = []  # (updates sent, RSS MB) after each batch's replies
        began = time.monotonic()
        while sent < updates:  # in batches: the load generator keeps every latency
            batch = min(BATCH, updates - sent)
            result = load(server.port, batch, 40, first_id=1 + sent, deadline=300)
            acked += result.ok
            stub.wait_replies(acked, 5.0, 120.0)
            sent += batch
            series.append((sent, round(server.status_kb("VmRSS") / 1024, 1)))
        replies, _ = stub.count()
        time.sleep(0.5)
        after = server.status_kb("VmRSS")
        return {
            "bot": kind,
            "sent": sent,
            "acked": acked,
            "replies": replies,
            "seconds": round(time.monotonic() - began, 1),
            "idle_mb": round(idle / 1024, 1),
            "warm_mb": round(warm / 1024, 1),
            "after_mb": round(after / 1024, 1),
            "peak_mb": round(server.status_kb("VmHWM") / 1024, 1),
            "growth_pct": round((after - warm) / warm * 100, 2),
            "series": series,
            "late_mb_per_10k": late_slope(series),
        }
    finally:
        server.stop()


def late_slope(series: list[tuple[int, float]]) -> float | None:
    """RSS growth per 10,000 updates over the second half of the run: once the backlog's
    high-water mark is reached, what still grows is the dedup store's ids, or a leak."""
    half = [(n, mb) for n, mb in series if n >= series[-1][0] / 2] if series else []
    if len(half) < 2 or half[-1][0] == half[0][0]:
        return None
    return round((half[-1][1] - half[0][1]) / (half[-1][0] - half[0][0]) * 10_000, 2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--updates", type=int, default=None)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--bots", nargs="*", choices=sorted(BOTS), default=list(BOTS))
    args = parser.parse_args()
    updates = args.updates or (3000 if args.quick else 100_000)
    loadgen.use_uvloop()
    logdir = Path(tempfile.mkdtemp(prefix="tgserve-memory-"))
    rows = []
    with open(logdir / "servers.log", "wb") as log:
        stub = Stub(log)
        try:
            stub.server.wait_ready()
            for kind in args.bots:
                row = measure(kind, updates, stub, log)
                rows.append(row)
                print(json.dumps(row), flush=True)
        finally:
            stub.server.stop()
    stamp = datetime.datetime.now(datetime.UTC)
    results = {
        "harness": "memory.py",
        "date": stamp.isoformat(timespec="seconds"),
        "updates": updates,
        "bots": rows,
        "flat": all(abs(r["growth_pct"]) <= 5 for r in rows),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{stamp:%Y-%m-%d-%H%M%S}-memory.json"
    path.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

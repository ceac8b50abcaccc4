"""Run every contender against the same Bot API stub and load; write bench/results/*.json.

    python bench/run.py [--quick] [--only NAME ...] [--name NAME]

Each contender runs in its own process, freshly started for each connection count,
serving the same bot (one sendMessage reply per update). The Python load generator
posts real-shaped updates from 100 chats; replies are counted at the stub.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import loadgen
from procs import HERE, Server


@dataclass(frozen=True)
class Contender:
    name: str
    script: str
    args: tuple[str, ...] = ()
    ref: str = "tgserve-plain"  # the tgserve contender its ratios are taken against
    replies: bool = True


CONTENDERS = (
    Contender("tgserve-plain", "contenders/tgserve_plain.py"),
    Contender("tgserve-ptb", "contenders/tgserve_ptb.py", ref="tgserve-ptb"),
    Contender("tgserve-ptb-aiohttp", "contenders/tgserve_ptb_aiohttp.py", ref="tgserve-ptb"),
    Contender("tgserve-aiogram", "contenders/tgserve_aiogram.py", ref="tgserve-aiogram"),
    Contender("ptb-run_webhook", "contenders/ptb_webhook.py", ref="tgserve-ptb"),
    Contender(
        "ptb-run_webhook-concurrent", "contenders/ptb_webhook.py", ("--concurrent",), "tgserve-ptb"
    ),
    Contender("aiogram-aiohttp", "contenders/aiogram_aiohttp.py", ref="tgserve-aiogram"),
    Contender("fastapi-ptb", "contenders/fastapi_ptb.py", ref="tgserve-ptb"),
    Contender("flask-ptb-loop-per-request", "contenders/flask_ptb.py", ref="tgserve-ptb"),
    Contender("noop-asgi", "contenders/noop.py", replies=False),
)
EXTRA = (  # experiments, run only when named with --only
    Contender("tgserve-plain-httpx", "contenders/tgserve_plain_httpx.py"),
)


@dataclass(frozen=True)
class Settings:
    updates: int  # per run
    connections: tuple[int, ...]
    warmup: int
    load_deadline: float  # stop sending after this many seconds
    reply_timeout: float  # give up waiting for replies after this long without progress
    wrk_seconds: float  # 0: no wrk phase
    request_timeout: float  # the load generator gives up on one answer after this long
    paced_updates: int  # posted at PACED_RATE per second, at 40 connections

    @classmethod
    def pick(cls, quick: bool) -> Settings:
        if quick:
            return cls(300, (40,), 20, 5.0, 2.0, 0.0, 4.0, 100)
        return cls(4000, (40, 100), 200, 20.0, 5.0, 3.0, 10.0, 1000)


class Stub:
    """The Bot API stub process and its control routes."""

    def __init__(self, log: IO[bytes]) -> None:
        self.server = Server("stub.py", [], None, log)
        self.url = f"http://127.0.0.1:{self.server.port}"

    def _get(self, path: str, method: str = "GET") -> dict[str, Any]:
        request = urllib.request.Request(self.url + path, method=method)
        with urllib.request.urlopen(request, timeout=5) as answer:
            data: dict[str, Any] = json.load(answer)
            return data

    def reset(self) -> None:
        self._get("/_reset", "POST")

    def count(self) -> tuple[int, float]:
        data = self._get("/_count")
        return int(data["count"]), float(data["last"])

    def wait_replies(self, expected: int, idle: float, limit: float) -> tuple[int, float]:
        """Poll until ``expected`` replies, or no new one for ``idle`` s, or ``limit`` s."""
        end = time.monotonic() + limit
        seen, last, since = -1, 0.0, time.monotonic()
        while True:
            count, last = self.count()
            if count >= expected:
                return count, last
            if count != seen:
                seen, since = count, time.monotonic()
            if time.monotonic() - since > idle or time.monotonic() > end:
                return count, last
            time.sleep(0.05)


def load(port: int, count: int, connections: int, **kw: Any) -> loadgen.LoadResult:
    return asyncio.run(loadgen.run("127.0.0.1", port, count, connections, **kw))


def stub_capacity(stub: Stub, settings: Settings) -> dict[str, Any]:
    """The stub's own sendMessage rate at 40 connections, nothing else running."""
    count = max(1000, settings.updates * 2)
    result = load(
        stub.server.port,
        count,
        40,
        path="/bot123456:bench/sendMessage",
        body=loadgen.send_message_body,
        first_id=900_000_000,
    )
    stub.reset()
    return result.summary()


def run_wrk(port: int, seconds: float, connections: int) -> dict[str, Any] | None:
    wrk = shutil.which("wrk")
    if wrk is None or seconds <= 0:
        return None
    command = [
        wrk, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", "-s",
        str(HERE / "wrk_updates.lua"), f"http://127.0.0.1:{port}/webhook", "--", "50000000",
    ]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30).stdout
    return parse_wrk(out)


def parse_wrk(out: str) -> dict[str, Any]:
    def ms(value: str) -> float:
        number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
        return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]

    found: dict[str, Any] = {}
    if m := re.search(r"Requests/sec:\s+([\d.]+)", out):
        found["rate"] = float(m.group(1))
    if m := re.search(r"(\d+) requests in", out):
        found["requests"] = int(m.group(1))
    for p in ("50", "99"):
        if m := re.search(rf"^\s+{p}(?:\.000)?%\s+(\S+)", out, re.M):
            found[f"p{p}_ms"] = round(ms(m.group(1)), 3)
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    found["non2xx"] = int(m.group(1)) if m else 0
    if found.get("rate") and found.get("requests"):  # acks are the 2xx answers only
        share = 1 - found["non2xx"] / found["requests"]
        found["ok_rate"] = round(found["rate"] * share, 1)
    m = re.search(r"Socket errors: (.*)", out)
    found["socket_errors"] = m.group(1).strip() if m else ""
    return found


def run_one(
    contender: Contender, connections: int, stub: Stub, settings: Settings, log: IO[bytes]
) -> dict[str, Any]:
    """One contender at one connection count, in a fresh process."""
    log.write(f"\n=== {contender.name} c={connections}\n".encode())
    log.flush()
    server = Server(contender.script, list(contender.args), stub.url, log)
    row: dict[str, Any] = {"contender": contender.name, "connections": connections}
    began = time.monotonic()
    try:
        server.wait_ready()
        stub.reset()
        warm = load(server.port, settings.warmup, 10, first_id=800_000_000, deadline=15)
        if contender.replies:
            stub.wait_replies(warm.ok, 2.0, 15.0)
        stub.reset()
        cpu_before = server.cpu_seconds()
        result = load(
            server.port,
            settings.updates,
            connections,
            deadline=settings.load_deadline,
            timeout=settings.request_timeout,
        )
        if contender.replies:
            # "lost" means no reply for reply_timeout seconds on end; a slow steady stream
            # of replies is waited for (up to 120 s), so that slowness never counts as loss
            limit = 120.0
            received, last = stub.wait_replies(result.ok, settings.reply_timeout, limit)
        else:
            received, last = 0, 0.0
        cpu = server.cpu_seconds() - cpu_before
        handled = max(result.ok, 1)
        row |= {
            "sent": result.sent,
            "acked": result.ok,
            "ack_rate": round(result.rate, 1),
            "p50_ms": round(result.percentile(50) * 1000, 2),
            "p99_ms": round(result.percentile(99) * 1000, 2),
            "failed": result.failed + result.errors,
            "replies": received,
            "e2e_rate": round(received / max(last - result.started, 1e-9), 1)
            if contender.replies and received
            else (0.0 if contender.replies else None),
            "lost": max(result.ok - received, 0) if contender.replies else None,
            "cpu_per_1000": round(cpu / handled * 1000, 3),
        }
        if connections == 40 and settings.paced_updates:
            # Telegram's pace, not saturation: the ack latency a bot sees at a steady rate
            paced = load(
                server.port,
                settings.paced_updates,
                connections,
                first_id=700_000_000,
                rate=PACED_RATE,
                deadline=settings.load_deadline,
                timeout=settings.request_timeout,
            )
            row["paced"] = {
                "rate": PACED_RATE,
                "acked": paced.ok,
                "p50_ms": round(paced.percentile(50) * 1000, 2),
                "p99_ms": round(paced.percentile(99) * 1000, 2),
            }
            if contender.replies:
                stub.wait_replies(received + paced.ok, 1.0, 5.0)
        if connections == 40 and settings.wrk_seconds:
            stub.reset()
            row["wrk"] = run_wrk(server.port, settings.wrk_seconds, connections)
            if contender.replies and row["wrk"]:  # a short drain; the backlog is not measured
                stub.wait_replies(row["wrk"].get("requests", 0), 1.0, 3.0)
        row["peak_rss_mb"] = round(server.status_kb("VmHWM") / 1024, 1)
    except Exception as exc:  # one contender failing must not end the run
        row["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        stopping = time.monotonic()
        row["exit_code"] = server.stop(timeout=3.0)
        row["wall_seconds"] = round(time.monotonic() - began, 1)
        row["stop_seconds"] = round(time.monotonic() - stopping, 1)
    return row


PACED_RATE = 200.0  # updates per second in the paced phase

FIGURES = ("ack_rate", "e2e_rate", "p50_ms", "p99_ms", "lost", "cpu_per_1000", "peak_rss_mb")


def add_ratios(rows: list[dict[str, Any]]) -> None:
    """Each figure divided by its tgserve reference's, same connection count."""
    by = {(r["contender"], r["connections"]): r for r in rows}
    refs = {c.name: c.ref for c in CONTENDERS}
    for row in rows:
        ref = by.get((refs.get(row["contender"], "tgserve-plain"), row["connections"]))
        row["ratio_to"] = ref["contender"] if ref else None
        ratios = {}
        for key in FIGURES:
            mine, theirs = row.get(key), (ref or {}).get(key)
            if isinstance(mine, int | float) and isinstance(theirs, int | float) and theirs:
                ratios[key] = round(mine / theirs, 3)
            else:
                ratios[key] = None
        row["ratios"] = ratios


def targets(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The issue's targets, judged on this run (ratio of e2e updates/s unless stated)."""
    by = {(r["contender"], r["connections"]): r for r in rows}

    def ratio(a: str, b: str, c: int, key: str = "e2e_rate") -> float | None:
        x, y = by.get((a, c), {}).get(key), by.get((b, c), {}).get(key)
        if isinstance(x, int | float) and isinstance(y, int | float) and y:
            return round(x / y, 2)
        return None

    def at_least(value: float | None, bound: float) -> list[Any]:
        return [value, value is not None and value >= bound]

    out: dict[str, Any] = {}
    for c in sorted({r["connections"] for r in rows}):
        lost = [r.get("lost") for r in rows if r["contender"].startswith("tgserve")]
        p99 = by.get(("tgserve-plain", c), {}).get("p99_ms")
        conc = "ptb-run_webhook-concurrent"
        out[str(c)] = {
            "ptb_vs_run_webhook": at_least(ratio("tgserve-ptb", "ptb-run_webhook", c), 2.0),
            "ptb_vs_run_webhook_concurrent": at_least(ratio("tgserve-ptb", conc, c), 1.3),
            "ptb_aiohttp_vs_run_webhook": at_least(
                ratio("tgserve-ptb-aiohttp", "ptb-run_webhook", c), 2.0
            ),
            "ptb_aiohttp_vs_run_webhook_concurrent": at_least(
                ratio("tgserve-ptb-aiohttp", conc, c), 1.3
            ),
            "aiogram_vs_aiohttp": at_least(ratio("tgserve-aiogram", "aiogram-aiohttp", c), 1.3),
            "plain_ack_vs_noop": at_least(ratio("tgserve-plain", "noop-asgi", c, "ack_rate"), 0.6),
            "tgserve_lost": [sum(x or 0 for x in lost), all(x == 0 for x in lost)],
        }
        if c == 40:
            out[str(c)]["plain_p99_ms"] = [p99, p99 is not None and p99 < 10]
            paced = (by.get(("tgserve-plain", c), {}).get("paced") or {}).get("p99_ms")
            out[str(c)]["plain_p99_ms_paced"] = [paced, paced is not None and paced < 10]
            wrk_plain = (by.get(("tgserve-plain", c), {}).get("wrk") or {}).get("ok_rate")
            wrk_noop = (by.get(("noop-asgi", c), {}).get("wrk") or {}).get("ok_rate")
            if wrk_plain and wrk_noop:
                share = round(wrk_plain / wrk_noop, 2)
                out[str(c)]["plain_ack_vs_noop_wrk"] = [share, share >= 0.6]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small runs, 40 connections only")
    parser.add_argument("--only", nargs="*", help="contender names to run (default: all)")
    parser.add_argument("--name", default=None, help="results file suffix")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--updates", type=int, default=None, help="updates per run")
    parser.add_argument("--connections", type=int, nargs="*", help="connection counts")
    parser.add_argument(
        "--rounds",
        type=int,
        default=None,
        help="rounds over every contender, interleaved (default 3, --quick 1)",
    )
    args = parser.parse_args()
    settings = Settings.pick(args.quick)
    if args.updates:
        settings = dataclasses.replace(settings, updates=args.updates)
    if args.connections:
        settings = dataclasses.replace(settings, connections=tuple(args.connections))
    chosen = [c for c in CONTENDERS if not args.only or c.name in args.only]
    chosen += [c for c in EXTRA if args.only and c.name in args.only]
    loadgen.use_uvloop()
    began = time.monotonic()
    logdir = Path(tempfile.mkdtemp(prefix="tgserve-bench-"))
    rows: list[dict[str, Any]] = []
    rounds = args.rounds or (1 if args.quick else 3)
    with open(logdir / "servers.log", "wb") as log:
        stub = Stub(log)
        try:
            stub.server.wait_ready()
            capacity = stub_capacity(stub, settings)
            print(f"stub capacity: {capacity['rate']:.0f} sendMessage/s", flush=True)
            ceiling_port = __import__("procs").free_port()
            ceiling = loadgen.ceiling(ceiling_port, max(1000, settings.updates * 2), 40)
            print(f"load generator ceiling: {ceiling['rate']:.0f} req/s", flush=True)
            later = dataclasses.replace(settings, wrk_seconds=0.0, paced_updates=0)
            tries: dict[tuple[str, int], list[dict[str, Any]]] = {}
            for turn in range(rounds):  # interleaved, so a noisy minute hits one round of each
                for contender in chosen:
                    for connections in settings.connections:
                        plan = later if turn else settings
                        row = run_one(contender, connections, stub, plan, log)
                        tries.setdefault((contender.name, connections), []).append(row)
                        print(f"[{turn + 1}/{rounds}] {_line(row)}", flush=True)
            rows = [median_row(found) for found in tries.values()]
        finally:
            stub.server.stop()
    add_ratios(rows)
    stamp = datetime.datetime.now(datetime.UTC)
    name = args.name or ("quick" if args.quick else "full")
    results = {
        "harness": "run.py",
        "name": name,
        "date": stamp.isoformat(timespec="seconds"),
        "quick": args.quick,
        "seconds": round(time.monotonic() - began, 1),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "settings": settings.__dict__ | {"chats": loadgen.CHATS, "rounds": rounds},
        "stub_capacity": capacity,
        "loadgen_ceiling": ceiling,
        "runs": rows,
        "targets": targets(rows),
        "log": str(logdir / "servers.log"),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{stamp:%Y-%m-%d-%H%M%S}-{name}.json"
    path.write_text(json.dumps(results, indent=1, allow_nan=False, default=_clean) + "\n")
    print(f"wrote {path} in {results['seconds']} s")
    return 0


def median_row(tries: list[dict[str, Any]]) -> dict[str, Any]:
    """The round with the median rate (replies/s, else acks/s), with the first round's
    wrk and paced figures and every round's rate under ``rounds``."""
    good = [r for r in tries if "error" not in r] or tries[:1]
    rate = "e2e_rate" if good[0].get("e2e_rate") is not None else "ack_rate"
    ranked = sorted(good, key=lambda r: r.get(rate) or 0.0)
    row = dict(ranked[(len(ranked) - 1) // 2])
    for extra in ("paced", "wrk"):
        if extra in tries[0] and extra not in row:
            row[extra] = tries[0][extra]
    row["rounds"] = {rate: [r.get(rate) for r in tries], "errors": len(tries) - len(good)}
    return row


def _clean(value: Any) -> Any:
    return None if isinstance(value, float) and math.isnan(value) else str(value)


def _line(row: dict[str, Any]) -> str:
    if "error" in row:
        return f"{row['contender']:28} c={row['connections']:<3} ERROR {row['error']}"
    wrk = row.get("wrk") or {}
    return (
        f"{row['contender']:28} c={row['connections']:<3} ack {row['ack_rate']:8.0f}/s  "
        f"e2e {row['e2e_rate'] or 0:8.0f}/s  p50 {row['p50_ms']:7.2f}  "
        f"p99 {row['p99_ms']:8.2f} ms  "
        f"lost {row['lost']}  failed {row['failed']}  cpu/1k {row['cpu_per_1000']:.3f}s  "
        f"rss {row['peak_rss_mb']} MB  {row['wall_seconds']}s/{row['stop_seconds']}s"
        + (f"  wrk {wrk.get('rate', 0):.0f}/s p99 {wrk.get('p99_ms')}" if wrk else "")
    )


if __name__ == "__main__":
    sys.exit(main())

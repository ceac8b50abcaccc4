"""Issue 15's harness: every contender under the same wrk flood, side by side, A B A B.

    python bench/flood.py [--smoke] [--rounds 3] [--seconds 8] [--only NAME ...] [--scaling]

For each contender, in a fresh process, in rounds that alternate the contenders:

- *paced*: updates posted at Telegram's pace (200 a second, over 40 connections); the p99
  ack latency is read there, before any flood;
- *flood*: ``wrk -t1 -c40 -d8s`` posts updates from 100 chats (bench/wrk_updates.lua);
  every update is answered with one ``sendMessage`` to the Bot API stub (uvicorn, uvloop,
  httptools); *end to end* is the replies counted at the stub divided by the time from the
  first reply to the last (the backlog drains after wrk stops, and counts);
- *peak unhandled*: tgserve's ``peak_unhandled`` from ``GET /webhook`` after the flood,
  the most updates acked and not yet handled at once (what a crash would lose).

The table gives each figure's median over the rounds. ``--scaling`` adds ``tgserve serve
--workers 1`` and ``--workers 2`` (PTB bot, queue mode on a local redis-server) to set
1 -> 2 worker processes against PTB's ``run_webhook`` on the same cores. Results go to
bench/results/<stamp>-flood.json; ``--report`` rewrites docs/benchmarks.md's flood section
from the newest one. Every target of issue 15 is printed with met / not met.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import loadgen
from procs import HERE, Server, free_port
from run import Stub, parse_wrk

ROOT = HERE.parent
DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- flood-bench -->", "<!-- /flood-bench -->"
BOUND = 256  # max_backlog's default: 4 x max_concurrency (64)


@dataclass(frozen=True)
class Contender:
    name: str
    script: str
    args: tuple[str, ...] = ()
    replies: bool = True
    tgserve: bool = False  # reports peak_unhandled at GET /webhook
    scaling: bool = False  # only with --scaling


CONTENDERS = (
    Contender("ptb-run_webhook", "contenders/ptb_webhook.py"),
    Contender("tgserve-ptb", "contenders/tgserve_ptb.py", tgserve=True),
    Contender("tgserve-ptb-httpx", "contenders/tgserve_ptb_httpx.py", tgserve=True),
    Contender("tgserve-ptb-aiohttp", "contenders/tgserve_ptb_aiohttp.py", tgserve=True),
    Contender("aiogram-aiohttp", "contenders/aiogram_aiohttp.py"),
    Contender("tgserve-aiogram", "contenders/tgserve_aiogram.py", tgserve=True),
    Contender("tgserve-plain", "contenders/tgserve_plain.py", tgserve=True),
    Contender(
        "tgserve-plain-silent", "contenders/tgserve_plain_silent.py", replies=False, tgserve=True
    ),
    Contender("noop-asgi", "contenders/noop.py", replies=False),
    Contender(
        "tgserve-ptb-workers1",
        "contenders/tgserve_workers.py",
        ("--workers", "1", "--ack", "queue"),
        scaling=True,
    ),
    Contender(
        "tgserve-ptb-workers2", "contenders/tgserve_workers.py", ("--workers", "2"), scaling=True
    ),
)
LABELS = {
    "ptb-run_webhook": "PTB `run_webhook` (tornado, sequential)",
    "tgserve-ptb": "tgserve + PTB, built the default way (`HTTPXRequest`, swapped to aiohttp)",
    "tgserve-ptb-httpx": "tgserve + PTB, default `HTTPXRequest`, swap off (`ptb_aiohttp=False`)",
    "tgserve-ptb-aiohttp": "tgserve + PTB built with `AiohttpRequest`",
    "aiogram-aiohttp": "aiogram `SimpleRequestHandler` on aiohttp",
    "tgserve-aiogram": "tgserve + aiogram",
    "tgserve-plain": "tgserve + plain bot",
    "tgserve-plain-silent": "tgserve + plain bot that sends nothing (the ack path)",
    "noop-asgi": "no-op ASGI app (ceiling)",
    "tgserve-ptb-workers1": "`tgserve serve --workers 1` + PTB (queue, redis)",
    "tgserve-ptb-workers2": "`tgserve serve --workers 2` + PTB (queue, redis)",
}


@dataclass(frozen=True)
class Plan:
    seconds: int  # wrk -d
    connections: int  # wrk -c
    paced: int  # updates at PACED_RATE
    warmup: int
    drain_limit: float  # give up waiting for replies after this long
    idle: float  # ... or after this long without a new reply


PACED_RATE = 200.0
FULL = Plan(seconds=8, connections=40, paced=1000, warmup=300, drain_limit=180.0, idle=5.0)
SMOKE = Plan(seconds=1, connections=40, paced=60, warmup=30, drain_limit=30.0, idle=2.0)


def run_wrk(port: int, plan: Plan, first_id: int) -> dict[str, Any]:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    command = [
        wrk, "-t1", f"-c{plan.connections}", f"-d{plan.seconds}s", "--latency", "-s",
        str(HERE / "wrk_updates.lua"), f"http://127.0.0.1:{port}/webhook", "--", str(first_id),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=plan.seconds + 60)
    found = parse_wrk(done.stdout)
    found["ok"] = found.get("requests", 0) - found.get("non2xx", 0)
    return found


def stub_times(stub: Stub) -> tuple[int, float, float]:
    with urllib.request.urlopen(stub.url + "/_count", timeout=5) as answer:
        data = json.load(answer)
    return int(data["count"]), float(data.get("first", 0.0)), float(data["last"])


def info(port: int) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/webhook", timeout=5) as answer:
            data: dict[str, Any] = json.load(answer)
            return data
    except OSError:
        return {}


def run_one(
    contender: Contender,
    stub: Stub,
    plan: Plan,
    log: IO[bytes],
    first_id: int,
    store: str | None,
) -> dict[str, Any]:
    log.write(f"\n=== {contender.name}\n".encode())
    log.flush()
    args = list(contender.args) + (["--store", store] if contender.scaling and store else [])
    server = Server(contender.script, args, stub.url, log)
    row: dict[str, Any] = {"contender": contender.name}
    try:
        server.wait_ready()
        stub.reset()
        warm = asyncio.run(
            loadgen.run("127.0.0.1", server.port, plan.warmup, 10, first_id=first_id, deadline=30)
        )
        if contender.replies:
            stub.wait_replies(warm.ok, 2.0, 30.0)
        stub.reset()
        paced = asyncio.run(
            loadgen.run(
                "127.0.0.1",
                server.port,
                plan.paced,
                plan.connections,
                first_id=first_id + 100_000,
                rate=PACED_RATE,
                deadline=plan.paced / PACED_RATE + 30,
            )
        )
        row["paced_p50_ms"] = round(paced.percentile(50) * 1000, 3)
        row["paced_p99_ms"] = round(paced.percentile(99) * 1000, 3)
        row["paced_failed"] = paced.failed + paced.errors
        if contender.replies:
            stub.wait_replies(paced.ok, 2.0, 30.0)
        stub.reset()
        cpu_before = server.tree_cpu_seconds()
        wrk = run_wrk(server.port, plan, first_id + 1_000_000)
        row |= {
            "acked_rate": wrk.get("ok_rate", 0.0),
            "requests": wrk.get("requests", 0),
            "non2xx": wrk.get("non2xx", 0),
            "socket_errors": wrk.get("socket_errors", ""),
            "flood_p99_ms": wrk.get("p99_ms"),
        }
        if contender.replies:
            stub.wait_replies(wrk["ok"], plan.idle, plan.drain_limit)
            count, first, last = stub_times(stub)
            row["replies"] = count
            row["e2e_rate"] = round(count / (last - first), 1) if count > 1 else 0.0
            row["unanswered"] = max(wrk["ok"] - count, 0)
        row["cpu_per_1000"] = round(
            (server.tree_cpu_seconds() - cpu_before) / max(wrk["ok"], 1) * 1000, 3
        )
        if contender.tgserve:
            found = info(server.port)
            row["peak_unhandled"] = found.get("peak_unhandled")
            row["max_backlog"] = found.get("max_backlog")
            row["refused_busy"] = found.get("refused_busy")
    except Exception as exc:  # one contender failing must not end the run
        row["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        row["exit_code"] = server.stop(timeout=5.0)
    return row


def median_row(tries: list[dict[str, Any]]) -> dict[str, Any]:
    """Each numeric figure's median over the rounds; every round's e2e (or ack) rate kept."""
    good = [r for r in tries if "error" not in r]
    if not good:
        return dict(tries[0])
    row: dict[str, Any] = {"contender": good[0]["contender"]}
    for key in good[0]:
        values = [r[key] for r in good if isinstance(r.get(key), int | float)]
        if values and not isinstance(good[0][key], bool):
            row[key] = round(statistics.median(values), 3)
        elif key not in row:
            row[key] = good[0][key]
    for key in ("non2xx", "peak_unhandled", "unanswered"):  # the worst round, not the median
        values = [r[key] for r in good if isinstance(r.get(key), int)]
        if values:
            row[key] = max(values)
    rate = "e2e_rate" if "e2e_rate" in good[0] else "acked_rate"
    row["rounds"] = {rate: [r.get(rate) for r in tries], "errors": len(tries) - len(good)}
    return row


def targets(rows: dict[str, dict[str, Any]], lambda_ratio: float | None) -> dict[str, Any]:
    """Issue 15's targets on this run: ``[value, met]`` each."""

    def ratio(a: str, b: str, key: str = "e2e_rate") -> float | None:
        x, y = rows.get(a, {}).get(key), rows.get(b, {}).get(key)
        return (
            round(x / y, 2)
            if isinstance(x, int | float) and isinstance(y, int | float) and y
            else None
        )

    def at_least(value: float | None, bound: float) -> list[Any]:
        return [value, value is not None and value >= bound]

    ours = [
        name for name, row in rows.items() if name.startswith("tgserve") and "workers" not in name
    ]
    non2xx = [rows[n].get("non2xx") for n in ours]
    peaks = [rows[n].get("peak_unhandled") for n in ours]
    paced = rows.get("tgserve-plain", {}).get("paced_p99_ms")
    out: dict[str, Any] = {
        "ptb_default_vs_run_webhook (2x; goal 3x)": at_least(
            ratio("tgserve-ptb", "ptb-run_webhook"), 2.0
        ),
        "ptb_aiohttp_vs_run_webhook (3x)": at_least(
            ratio("tgserve-ptb-aiohttp", "ptb-run_webhook"), 3.0
        ),
        "aiogram_vs_simple_request_handler (2x)": at_least(
            ratio("tgserve-aiogram", "aiogram-aiohttp"), 2.0
        ),
        "plain_acks_vs_noop_ceiling (0.6)": at_least(
            ratio("tgserve-plain", "noop-asgi", "acked_rate"), 0.6
        ),
        "plain_ack_path_vs_noop_ceiling (0.6; a bot that sends nothing)": at_least(
            ratio("tgserve-plain-silent", "noop-asgi", "acked_rate"), 0.6
        ),
        "plain_p99_ack_ms_at_200_per_s (< 2 ms)": [paced, paced is not None and paced < 2.0],
        "non_2xx_under_flood (0)": [
            sum(x or 0 for x in non2xx),
            bool(non2xx) and all(x == 0 for x in non2xx),
        ],
        f"peak_unhandled (at most the bound, {BOUND})": [
            max((p for p in peaks if p is not None), default=None),
            bool(peaks) and all(p is not None and p <= BOUND for p in peaks),
        ],
        "lambda_cold_plain_vs_mangum (0.33; bench/lambda_bench.py)": [
            None if lambda_ratio is None else round(lambda_ratio, 2),
            lambda_ratio is not None and lambda_ratio <= 0.33,
        ],
    }
    if "tgserve-ptb-httpx" in rows:
        out["ptb_swap_off_vs_run_webhook (before the swap)"] = [
            ratio("tgserve-ptb-httpx", "ptb-run_webhook"),
            None,
        ]
    if "tgserve-ptb-workers2" in rows:
        out["workers_2_vs_1 (scaling)"] = [
            ratio("tgserve-ptb-workers2", "tgserve-ptb-workers1"),
            None,
        ]
        out["workers_2_vs_run_webhook"] = [
            ratio("tgserve-ptb-workers2", "ptb-run_webhook"),
            None,
        ]
    return out


def lambda_cold_ratio() -> float | None:
    path = HERE / "results" / "lambda_bench.json"
    with contextlib.suppress(OSError, ValueError, KeyError):
        return float(json.loads(path.read_text())["cold_ratio_plain_vs_mangum"])
    return None


@contextlib.contextmanager
def redis(log: IO[bytes]) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("--scaling needs redis-server")
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                   "--appendonly", "no", "--dir", tmp]  # fmt: skip
        proc = subprocess.Popen(command, stdout=log, stderr=log)
        try:
            loadgen.wait_port("127.0.0.1", port, 10.0)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            proc.terminate()
            proc.wait(10)


def fmt(value: Any, digits: int = 0) -> str:
    if value is None:
        return "-"
    if isinstance(value, float | int) and not isinstance(value, bool):
        return f"{value:,.{digits}f}"
    return str(value)


def table(results: dict[str, Any]) -> str:
    rows = {r["contender"]: r for r in results["runs"]}
    base = rows.get("ptb-run_webhook", {}).get("e2e_rate")
    lines = [
        "| contender | acked/s | end-to-end replies/s | vs run_webhook | non-2xx | "
        "peak unhandled | p99 ack at 200/s, ms | CPU s/1k |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for name, row in rows.items():
        if "error" in row:
            lines.append(f"| {LABELS.get(name, name)} | error: {row['error']} | | | | | | |")
            continue
        e2e = row.get("e2e_rate")
        vs = f"{e2e / base:.2f}x" if e2e and base else "-"
        lines.append(
            f"| {LABELS.get(name, name)} | {fmt(row.get('acked_rate'))} | {fmt(e2e)} | {vs} | "
            f"{fmt(row.get('non2xx'))} | {fmt(row.get('peak_unhandled'))} | "
            f"{fmt(row.get('paced_p99_ms'), 2)} | {fmt(row.get('cpu_per_1000'), 3)} |"
        )
    return "\n".join(lines)


def targets_lines(results: dict[str, Any]) -> list[str]:
    out = []
    for name, (value, met) in results["targets"].items():
        verdict = "met" if met else ("-" if met is None else "NOT met")
        out.append(f"{name}: {fmt(value, 2)} -> {verdict}")
    return out


def section(results: dict[str, Any], source: Path) -> str:
    plan = results["plan"]
    return "\n".join(
        [
            BEGIN,
            "## Under a flood (issue 15's harness)",
            "",
            f"`python bench/flood.py` (`{source.name}`, {results['date']}, "
            f"{results['machine']['cpus']} CPUs, {results['rounds']} rounds alternated, "
            f"medians): `wrk -t1 -c{plan['connections']} -d{plan['seconds']}s` posts updates "
            "from 100 chats; each is answered with one `sendMessage` to the Bot API stub; "
            "end to end is the replies at the stub over the time from the first reply to "
            "the last. *p99 ack at 200/s* is measured at Telegram's pace before the flood; "
            "*non-2xx* and *peak unhandled* are the worst round.",
            "",
            table(results),
            "",
            "Targets of issue 15 on this run:",
            "",
            *[f"- {line}" for line in targets_lines(results)],
            END,
        ]
    )


def write_report(path: Path | None) -> int:
    files = sorted((HERE / "results").glob("*-flood.json"))
    source = path or (files[-1] if files else None)
    if source is None:
        raise SystemExit("no bench/results/*-flood.json yet: run bench/flood.py first")
    results = json.loads(source.read_text())
    old = DOC.read_text()
    text = section(results, source)
    if BEGIN in old and END in old:
        head, rest = old.split(BEGIN, 1)
        new = head + text + rest.split(END, 1)[1]
    else:
        new = old.rstrip("\n") + "\n\n" + text + "\n"
    DOC.write_text(new)
    print(f"wrote {DOC} from {source.name}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="1 s floods, 1 round: a smoke run")
    parser.add_argument("--rounds", type=int, default=None, help="default 3 (--smoke 1)")
    parser.add_argument("--seconds", type=int, default=None, help="wrk -d (default 8)")
    parser.add_argument("--only", nargs="*", help="contender names (default: all)")
    parser.add_argument("--scaling", action="store_true", help="add --workers 1 and 2")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--report", nargs="?", const="newest", default=None,
                        help="rewrite docs/benchmarks.md's flood section and exit")  # fmt: skip
    args = parser.parse_args()
    if args.report is not None:
        return write_report(None if args.report == "newest" else Path(args.report))
    plan = SMOKE if args.smoke else FULL
    if args.seconds:
        plan = Plan(args.seconds, plan.connections, plan.paced, plan.warmup,
                    plan.drain_limit, plan.idle)  # fmt: skip
    rounds = args.rounds or (1 if args.smoke else 3)
    chosen = [
        c
        for c in CONTENDERS
        if (args.only and c.name in args.only)
        or (not args.only and (args.scaling or not c.scaling))
    ]
    loadgen.use_uvloop()
    began = time.monotonic()
    logdir = Path(tempfile.mkdtemp(prefix="tgserve-flood-"))
    tries: dict[str, list[dict[str, Any]]] = {}
    with open(logdir / "servers.log", "wb") as log, contextlib.ExitStack() as stack:
        store = stack.enter_context(redis(log)) if any(c.scaling for c in chosen) else None
        stub = Stub(log)
        stack.callback(stub.server.stop)
        stub.server.wait_ready()
        first_id = 10_000_000
        for turn in range(rounds):  # A B A B: a noisy minute hits one round of each
            for contender in chosen:
                first_id += 10_000_000  # fresh ids: the shared store remembers earlier rounds
                row = run_one(contender, stub, plan, log, first_id, store)
                tries.setdefault(contender.name, []).append(row)
                print(f"[{turn + 1}/{rounds}] {line(row)}", flush=True)
    rows = {name: median_row(found) for name, found in tries.items()}
    stamp = datetime.datetime.now(datetime.UTC)
    results = {
        "harness": "flood.py",
        "date": stamp.isoformat(timespec="seconds"),
        "smoke": args.smoke,
        "seconds": round(time.monotonic() - began, 1),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "plan": plan.__dict__ | {"paced_rate": PACED_RATE, "chats": loadgen.CHATS},
        "rounds": rounds,
        "runs": list(rows.values()),
        "targets": targets(rows, lambda_cold_ratio()),
        "log": str(logdir / "servers.log"),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{stamp:%Y-%m-%d-%H%M%S}-{'flood-smoke' if args.smoke else 'flood'}.json"
    path.write_text(json.dumps(results, indent=1) + "\n")
    print(table(results))
    print("targets (issue 15):")
    for text in targets_lines(results):
        print("  " + text)
    print(f"wrote {path} in {results['seconds']} s")
    return 0


def line(row: dict[str, Any]) -> str:
    if "error" in row:
        return f"{row['contender']:24} ERROR {row['error']}"
    return (
        f"{row['contender']:24} acked {row.get('acked_rate', 0):8.0f}/s  "
        f"e2e {row.get('e2e_rate') or 0:8.0f}/s  non2xx {row.get('non2xx')}  "
        f"peak {row.get('peak_unhandled')}  paced p99 {row.get('paced_p99_ms')} ms  "
        f"cpu/1k {row.get('cpu_per_1000')}s"
    )


if __name__ == "__main__":
    sys.exit(main())

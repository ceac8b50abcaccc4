"""Regenerate docs/benchmarks.md's main table and docs/benchmarks.png from the newest
bench/results/*.json (``--results FILE`` picks one). Only the block between
``<!-- bench-main -->`` and ``<!-- /bench-main -->`` is rewritten: the prose around it and
the ``<!-- lambda-bench -->`` and ``<!-- queue-bench -->`` sections are kept as they are.

    python bench/report.py [--results bench/results/<file>.json]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "benchmarks.md"
PLOT = ROOT / "docs" / "benchmarks.png"
MARKERS = ("lambda-bench", "queue-bench", "flood-bench")
BEGIN, END = "<!-- bench-main -->", "<!-- /bench-main -->"

INTRO = """# Benchmarks

tgserve against what bots use today, on one machine in one run: PTB's own `run_webhook`
(default, and with `concurrent_updates=True`), aiogram's `SimpleRequestHandler` on aiohttp,
the usual FastAPI custom webhook with a PTB bot, the Flask pattern that makes and closes a
new event loop per request, and a no-op ASGI app as the ceiling. Every contender serves the
same bot (one `sendMessage` reply per update) in its own process, against the same Bot API
stub; replies are counted where they arrive, at the stub.

Reproduce with `python bench/run.py` (about 5-10 minutes; `--quick` takes under a minute)
and `python bench/memory.py`, then `python bench/report.py` to rewrite this table and the
plot. How the harness works and how to read the figures: see the end of this page.
"""

METHOD = """## How the figures are made

- **Load**: `bench/loadgen.py`, a Python generator on raw asyncio streams (uvloop), posts
  real-shaped text-message updates from 100 chats over keep-alive connections, one request
  in flight per connection, as Telegram does. Its own ceiling (against a canned-answer
  server in another process) is measured in the same run and shown above, so that no
  contender is judged above what the generator can send. Where `wrk` is installed, a
  short `wrk` phase (Lua script `bench/wrk_updates.lua`) at 40 connections gives the ack
  rate and latency without the Python generator's own CPU cost.
- **Bot API**: `tgserve.testing.BotAPIStub` under uvicorn in its own process
  (`bench/stub.py`), with `GET /_count` for the harness. Its own capacity is measured
  first; end-to-end rates far below it mean the stub is not what limits them.
- **Paced**: at 40 connections, 1,000 more updates (100 in `--quick`) are posted on a
  schedule of 200 per second, and their ack latency is reported as *paced p50/p99*:
  the latency at a steady pace rather than at saturation.
- **Figures**: *ack/s*: updates answered 2xx per second of the load phase; *e2e/s*:
  replies received at the stub divided by the time from the first request to the last
  reply; *p50/p99*: ack latency as the load generator saw it; *lost*: updates
  acknowledged 200 whose reply never arrived (Telegram will not deliver them again);
  *failed*: non-2xx answers and connection errors; *CPU s/1k*: user+system CPU seconds
  of the server process (with its children) per 1,000 updates, from `/proc/<pid>/stat`;
  *peak RSS*: the process's `VmHWM`. Ratios (`x`) are to tgserve with the same kind of
  bot (tgserve plain for the no-op ceiling), at the same connection count.
- **Machine**: the figures come from a shared 2-core machine with other work on it, so
  absolute numbers move between runs; compare ratios within one run. Each contender is
  started fresh for each connection count and warmed up before it is measured.
"""


def newest() -> Path:
    files = sorted(RESULTS.glob("*.json"), key=lambda p: p.stat().st_mtime)
    files = [f for f in files if json.loads(f.read_text()).get("harness") == "run.py"]
    if not files:
        raise SystemExit("no results in bench/results: run python bench/run.py first")
    return files[-1]


def newest_memory() -> dict[str, Any] | None:
    files = sorted(RESULTS.glob("*.json"), key=lambda p: p.stat().st_mtime)
    found = [json.loads(f.read_text()) for f in files]
    found = [data for data in found if data.get("harness") == "memory.py"]
    if not found:
        return None
    latest: dict[str, dict[str, Any]] = {}  # the newest figures for each bot
    for data in found:
        for row in data["bots"]:
            latest[row["bot"]] = row | {"date": data["date"], "updates": data["updates"]}
    rows = sorted(latest.values(), key=lambda row: row["bot"])
    return {"date": max(r["date"] for r in rows), "updates": rows[0]["updates"], "bots": rows}


def fmt(value: Any, digits: int = 0) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}"


def ratio(row: dict[str, Any], key: str) -> str:
    value = (row.get("ratios") or {}).get(key)
    return "" if value is None or row["contender"] == row.get("ratio_to") else f" ({value:.2f}x)"


def table(results: dict[str, Any]) -> str:
    lines = [
        "| contender | conns | ack/s | e2e/s | p50 ms | p99 ms | lost | failed | CPU s/1k "
        "| peak RSS MB | paced p50/p99 ms |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for row in results["runs"]:
        if "error" in row:
            lines.append(
                f"| {row['contender']} | {row['connections']} | error: {row['error']} |||||||| "
            )
            continue
        cells = [
            row["contender"],
            str(row["connections"]),
            fmt(row["ack_rate"]) + ratio(row, "ack_rate"),
            fmt(row["e2e_rate"]) + ratio(row, "e2e_rate"),
            fmt(row["p50_ms"], 1) + ratio(row, "p50_ms"),
            fmt(row["p99_ms"], 1) + ratio(row, "p99_ms"),
            fmt(row["lost"]),
            fmt(row["failed"]),
            fmt(row["cpu_per_1000"], 2) + ratio(row, "cpu_per_1000"),
            fmt(row["peak_rss_mb"], 1) + ratio(row, "peak_rss_mb"),
            paced(row),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def paced(row: dict[str, Any]) -> str:
    p = row.get("paced")
    return f"{fmt(p['p50_ms'], 1)} / {fmt(p['p99_ms'], 1)}" if p else "-"


def wrk_table(results: dict[str, Any]) -> str:
    rows = [r for r in results["runs"] if (r.get("wrk") or {}).get("rate")]
    if not rows:
        return ""
    lines = [
        "| contender | wrk answers/s | of them 2xx/s | p50 ms | p99 ms | non-2xx |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for row in rows:
        w = row["wrk"]
        lines.append(
            f"| {row['contender']} | {fmt(w.get('rate'))} | {fmt(w.get('ok_rate'))} | "
            f"{fmt(w.get('p50_ms'), 2)} | {fmt(w.get('p99_ms'), 2)} | {fmt(w.get('non2xx'))} |"
        )
    note = (
        "\n\nnon-2xx under `wrk` are 503s with `Retry-After` once more than `max_pending`"
        " (10,000) updates wait for a handler: `wrk` posts as fast as answers come, faster"
        " than the bot can reply, and Telegram delivers a 503'd update again."
    )
    return "\n\n`wrk`, 40 connections, 1 thread:\n\n" + "\n".join(lines) + note


def targets_text(results: dict[str, Any]) -> str:
    names = {
        "ptb_vs_run_webhook": "tgserve PTB / PTB run_webhook, e2e (target >= 2)",
        "ptb_vs_run_webhook_concurrent": "tgserve PTB / run_webhook concurrent, e2e (>= 1.3)",
        "ptb_aiohttp_vs_run_webhook": "same, PTB bot with `AiohttpRequest`, e2e (>= 2)",
        "ptb_aiohttp_vs_run_webhook_concurrent": "same, vs run_webhook concurrent (>= 1.3)",
        "aiogram_vs_aiohttp": "tgserve aiogram / aiogram aiohttp handler, e2e (>= 1.3)",
        "plain_ack_vs_noop": "tgserve plain acks / no-op ceiling (>= 0.6)",
        "plain_ack_vs_noop_wrk": "same, measured with wrk (>= 0.6)",
        "plain_p99_ms": "tgserve plain p99 ack ms at saturation (< 10)",
        "plain_p99_ms_paced": "tgserve plain p99 ack ms at 200 updates/s (< 10)",
        "tgserve_lost": "replies lost by tgserve (0)",
    }
    lines = ["| target | " + " | ".join(f"{c} conns" for c in results["targets"]) + " |"]
    lines.append("|---|" + "--:|" * len(results["targets"]))
    for key, label in names.items():
        cells = []
        for per in results["targets"].values():
            value, met = per.get(key, [None, None])
            cells.append("-" if value is None else f"{value} {'met' if met else 'NOT met'}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


STORE_MB_PER_10K = 2.1  # tracemalloc: 20.4 MiB for 100,000 ids in the memory store


def memory_text(memory: dict[str, Any] | None) -> str:
    if not memory:
        return "Memory: no results yet (`python bench/memory.py`)."
    lines = [
        f"Memory (`bench/memory.py`, {memory['date']}, {memory['updates']:,} updates):",
        "",
        "| bot | RSS idle MB | after warm-up MB | after updates MB | growth since warm-up "
        "| MB per 10k, 2nd half | replies/acked |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for row in memory["bots"]:
        late = row.get("late_mb_per_10k")
        lines.append(
            f"| {row['bot']} | {row['idle_mb']:.1f} | {row['warm_mb']:.1f} | {row['after_mb']:.1f} "
            f"| {row['growth_pct']:+.1f}% | {'-' if late is None else f'{late:.2f}'} "
            f"| {row['replies']:,}/{row.get('acked', row['sent']):,} |"
        )
    lines += [
        "",
        "The default `memory://` dedup store keeps every id for 24 h (at most 200,000),",
        f"{STORE_MB_PER_10K} MB per 10,000 ids: a second-half slope near that is the store,",
        "not a leak.",
    ]
    return "\n".join(lines)


def _rounds(results: dict[str, Any]) -> str:
    rounds = results["settings"].get("rounds", 1)
    if rounds == 1:
        return "one round"
    return (
        f"{rounds} rounds over all contenders, interleaved; each row is the round with the "
        "median rate, wrk and the paced phase from the first"
    )


def main_section(results: dict[str, Any], source: Path) -> str:
    cap, gen = results["stub_capacity"], results["loadgen_ceiling"]
    m = results["machine"]
    head = (
        f"Run `{source.name}` ({results['date']}, {'quick' if results['quick'] else 'full'}, "
        f"{results['settings']['updates']:,} updates per run from {results['settings']['chats']} "
        f"chats, {_rounds(results)}; {m['cpus']} CPUs, Python {m['python']}). "
        "Bot API stub capacity: "
        f"**{cap['rate']:,.0f} sendMessage/s**; load generator ceiling: **{gen['rate']:,.0f} "
        "requests/s** (40 connections)."
    )
    return "\n\n".join(
        [
            BEGIN,
            head,
            table(results) + wrk_table(results),
            "Targets from the issue, judged on this run:",
            targets_text(results),
            "![throughput and p99 per contender](benchmarks.png)",
            memory_text(newest_memory()),
            END,
        ]
    )


def render(old: str, section: str) -> str:
    """Replace the generated block in ``old`` and keep every other line as it is; a new
    page gets the introduction, the method, and the other benchmarks' empty marker pairs."""
    if BEGIN in old and END in old:
        head, rest = old.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        text = head + section + tail
        for marker in MARKERS:
            if f"<!-- {marker} -->" not in text:
                text = text.rstrip("\n") + f"\n\n<!-- {marker} -->\n<!-- /{marker} -->\n"
        return text
    parts = [INTRO.strip(), section, METHOD.strip(), kept_sections(old)]
    return "\n\n".join(parts) + "\n"


def kept_sections(old: str) -> str:
    parts = []
    for marker in MARKERS:
        m = re.search(rf"<!-- {marker} -->.*?<!-- /{marker} -->", old, re.S)
        parts.append(m.group(0) if m else f"<!-- {marker} -->\n<!-- /{marker} -->")
    return "\n\n".join(parts)


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    conns = sorted({r["connections"] for r in results["runs"]})
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.5))
    names = list(dict.fromkeys(r["contender"] for r in results["runs"]))
    width = 0.8 / (2 * len(conns))
    for i, c in enumerate(conns):
        rows = {r["contender"]: r for r in results["runs"] if r["connections"] == c}
        ack = [rows.get(n, {}).get("ack_rate") or 0 for n in names]
        e2e = [rows.get(n, {}).get("e2e_rate") or 0 for n in names]
        p99 = [rows.get(n, {}).get("p99_ms") or 0 for n in names]
        xs = [k + (2 * i) * width for k in range(len(names))]
        axes[0].barh(xs, ack, width, label=f"ack/s, {c} conns")
        axes[0].barh([x + width for x in xs], e2e, width, label=f"e2e/s, {c} conns")
        axes[1].barh(
            [k + i * 2 * width for k in range(len(names))], p99, 2 * width, label=f"{c} conns"
        )
    for ax in axes:
        ax.set_yticks(range(len(names)), names)
        ax.invert_yaxis()
        ax.legend(fontsize=8)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_xscale("log")
    axes[0].set_title("updates per second (log scale)")
    axes[1].set_xscale("log")
    axes[1].set_title("p99 ack latency, ms (log scale)")
    fig.suptitle(f"tgserve benchmarks, {results['date']}")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--results", type=Path, default=None)
    parser.add_argument("--doc", type=Path, default=DOC)
    args = parser.parse_args()
    source = args.results or newest()
    results = json.loads(source.read_text())
    old = args.doc.read_text() if args.doc.exists() else ""
    args.doc.parent.mkdir(parents=True, exist_ok=True)
    args.doc.write_text(render(old, main_section(results, source)))
    plot(results, args.doc.with_suffix(".png"))
    print(f"wrote {args.doc} and {args.doc.with_suffix('.png')} from {source.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

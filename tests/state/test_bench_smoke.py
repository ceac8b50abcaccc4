"""bench/state_bench.py runs end to end at its smallest (a smoke test, no timing checks)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.timeout(120)


def test_state_bench_quick_on_sqlite(tmp_path: Path) -> None:
    out = tmp_path / "state_bench.json"
    args = ["--quick", "--stores", "sqlite", "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "state_bench.py"), *args],
        capture_output=True,
        text=True,
        timeout=100,
        cwd=ROOT,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rows = json.loads(out.read_text())["rows"]
    assert {(r["store"], r["state"]) for r in rows} == {("sqlite", "off"), ("sqlite", "on")}
    assert all(r["updates"] == 100 and r["per_s"] > 0 for r in rows)
    assert "| sqlite |" in done.stdout

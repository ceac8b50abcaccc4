"""The benchmark harness runs end to end in its quick mode (a smoke test, no timing checks)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.timeout(240)


def test_quick_run_writes_results_with_every_contender(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from run import CONTENDERS
    finally:
        sys.path.remove(str(ROOT / "bench"))
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=200,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (path,) = tmp_path.glob("*-quick.json")
    results = json.loads(path.read_text())
    assert results["harness"] == "run.py"
    assert results["stub_capacity"]["ok"] > 0
    assert results["loadgen_ceiling"]["ok"] > 0
    rows = {row["contender"]: row for row in results["runs"]}
    assert set(rows) == {c.name for c in CONTENDERS}
    for name, row in rows.items():
        assert "error" not in row, (name, row["error"])
        assert row["acked"] > 0, name
    for name in ("tgserve-plain", "tgserve-ptb", "tgserve-aiogram"):
        assert rows[name]["lost"] == 0, (name, rows[name])
        assert rows[name]["failed"] == 0, (name, rows[name])
    assert set(results["targets"]["40"]) >= {"ptb_vs_run_webhook", "tgserve_lost"}

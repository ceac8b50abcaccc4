"""The cold start's collector pause (tgserve._coldstart): the Lambda host's import and its
cold invocation run without automatic collections, freeze what they built, and leave the
collector on; an opt-out, a collector the user switched off, and a failing phase are kept."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import TOKEN

from tgserve import _coldstart as coldstart

pytestmark = pytest.mark.timeout(60)

PROBE = """
import gc, json, sys
sys.path.insert(0, sys.argv[1])
if sys.argv[2] == "gc-off":
    gc.disable()
import tgserve

def collections():
    return sum(s["collections"] for s in gc.get_stats())

out = {}
before = collections()
aws_lambda = tgserve.aws_lambda  # imports the host and what it needs
out["import_collections"] = collections() - before
out["frozen_after_import"] = gc.get_freeze_count()
out["enabled_after_import"] = gc.isenabled()

async def handle(update, bot):
    return None

handler = aws_lambda(handle)
frozen = gc.get_freeze_count()
status = handler({"httpMethod": "GET", "path": "/readyz"}, None)["statusCode"]
out["status"] = status
out["frozen_by_invocation"] = gc.get_freeze_count() - frozen
out["enabled_after_invocation"] = gc.isenabled()
out["threshold"] = gc.get_threshold()
print(json.dumps(out))
"""


def probe(tmp_path: Path, mode: str = "", **env: str) -> dict[str, Any]:
    environ = {"TELEGRAM_BOT_TOKEN": TOKEN, "PATH": "/usr/bin:/bin", **env}
    if "PYTHONPATH" in os.environ:  # the source under test, not the installed one
        environ["PYTHONPATH"] = os.environ["PYTHONPATH"]
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path), mode],
        capture_output=True,
        text=True,
        check=True,
        env=environ,
        timeout=30,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    assert result["status"] == 200
    return result


def test_import_and_cold_invocation_collect_nothing_freeze_and_leave_the_collector_on(
    tmp_path: Path,
) -> None:
    result = probe(tmp_path)
    assert result["import_collections"] == 0
    assert result["frozen_after_import"] > 10_000  # asyncio, tgserve: the modules it imported
    assert result["frozen_by_invocation"] > 0
    assert result["enabled_after_import"] and result["enabled_after_invocation"]
    assert tuple(result["threshold"]) == gc.get_threshold()  # thresholds untouched


def test_gc_freeze_off_pauses_without_freezing(tmp_path: Path) -> None:
    result = probe(tmp_path, TGSERVE_GC_FREEZE="0")
    assert result["import_collections"] <= 1  # what the import built, scanned once after it
    assert result["frozen_after_import"] == 0
    assert result["frozen_by_invocation"] == 0
    assert result["enabled_after_import"] and result["enabled_after_invocation"]


def test_a_collector_switched_off_by_the_user_stays_off(tmp_path: Path) -> None:
    result = probe(tmp_path, "gc-off")
    assert result["frozen_after_import"] == 0
    assert not result["enabled_after_import"] and not result["enabled_after_invocation"]


def test_a_failing_phase_turns_the_collector_back_on_and_freezes_nothing() -> None:
    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    with pytest.raises(RuntimeError), coldstart.cold_phase("test-failing", freeze=True):
        assert not gc.isenabled()
        raise RuntimeError("the bot failed to start")
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen

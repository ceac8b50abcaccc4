from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tgserve.cli._target import TargetError, load_target


def run(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "tgserve", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ("no_such_module_xyz:handle", "no module named 'no_such_module_xyz'"),
        ("json:nothing", "json has no attribute 'nothing'"),
        ("json:dumps", "tgserve serves"),
        ("missing/file.py:handle", "no such file"),
    ],
)
def test_serve_reports_a_bad_target_in_one_line(spec: str, needle: str) -> None:
    result = run("serve", spec)
    assert result.returncode == 2
    assert needle in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_load_target_from_a_file(tmp_path: Path) -> None:
    bot = tmp_path / "mybot.py"
    bot.write_text("async def handle(update, bot):\n    return None\n")
    target, extra = load_target(f"{bot}:handle")
    assert callable(target) and extra is None
    target, _ = load_target(str(bot))
    assert target.__name__ == "handle"
    with pytest.raises(TargetError):
        load_target(f"{tmp_path / 'other.py'}")


def test_help_lists_commands() -> None:
    result = run("--help")
    assert result.returncode == 0 and "serve" in result.stdout

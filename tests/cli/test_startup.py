"""``tgserve poll`` and ``tgserve worker`` start up the same way (cli/_startup.py): a bad
bot, a bad setting or a store that cannot be reached is one line and exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TOKEN
from tests.conftest_servers import free_port

COMMANDS = ["poll", "worker"]


def _run(command: str, bot: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TGSERVE_STORE": f"sqlite:///{tmp_path}/store.db",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "tgserve", command, bot],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _bot(tmp_path: Path) -> str:
    path = tmp_path / "bot.py"
    path.write_text("async def handle(update, bot):\n    return None\n")
    return f"{path}:handle"


def _one_line(done: subprocess.CompletedProcess[str]) -> str:
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    return lines[0]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_bad_bot_is_refused_in_one_line(command: str, tmp_path: Path) -> None:
    line = _one_line(_run(command, "no_such_module_xyz:handle", tmp_path))
    assert line == "tgserve: no module named 'no_such_module_xyz'"


@pytest.mark.parametrize("command", COMMANDS)
def test_a_bad_setting_is_refused_in_one_line(command: str, tmp_path: Path) -> None:
    done = _run(command, _bot(tmp_path), tmp_path, TGSERVE_MAX_CONCURRENCY="abc")
    assert _one_line(done) == "tgserve: max_concurrency must be a number, got 'abc'"


@pytest.mark.parametrize("command", COMMANDS)
def test_a_store_that_cannot_be_reached_is_refused_in_one_line(
    command: str, tmp_path: Path
) -> None:
    port = free_port()  # nothing listens there
    done = _run(command, _bot(tmp_path), tmp_path, TGSERVE_STORE=f"redis://127.0.0.1:{port}")
    assert _one_line(done).startswith(f"tgserve: store: cannot reach redis://127.0.0.1:{port}: ")

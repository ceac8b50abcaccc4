"""gunicorn ``--preload`` (docs/wsgi.md's command) refuses two workers with one line too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest_servers import free_port, stop
from tests.prod.test_workers import FIX, ROOT, env


def test_preloaded_gunicorn_refuses_two_workers_in_one_line(tmp_path: Path) -> None:
    args = [
        sys.executable, "-m", "gunicorn", "-k", "gthread", "--threads", "2", "-w", "2",
        "--preload", "-b", f"127.0.0.1:{free_port()}", "tests.prod.wsgiapp:app",
    ]  # fmt: skip
    proc = subprocess.Popen(
        args, cwd=ROOT, env=env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        out, _ = proc.communicate(timeout=60)
    finally:
        stop(proc)
    text = out.decode()
    assert proc.returncode == 4, text  # gunicorn's own code for an app that failed to load
    assert text.strip().splitlines() == [text.strip()], text  # one line, no traceback
    assert "gunicorn runs 2 worker processes" in text and FIX in text and "memory://" in text
    assert "Traceback" not in text

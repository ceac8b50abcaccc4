"""tgserve._logs: JSON and text lines, the fields, and configuring only on request."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.conftest import TOKEN
from tgserve import _logs as logs
from tgserve import _redact as redact


@pytest.fixture
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    quiet = {name: logging.getLogger(name).level for name in logs.QUIET}
    try:
        yield
    finally:
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
                handler.close()
        root.setLevel(level)
        for name, old in quiet.items():
            logging.getLogger(name).setLevel(old)


def record(**extra: object) -> logging.LogRecord:
    log = logging.getLogger("tgserve.runtime")
    out = log.makeRecord(log.name, logging.INFO, __file__, 1, "update %d handled", (7,), None)
    out.__dict__.update(extra)
    return out


def test_json_line_has_the_fields() -> None:
    line = logs.JSONFormatter().format(
        record(update_id=7, chat_id=42, host="asgi", latency_ms=1.5, outcome="handled")
    )
    entry = json.loads(line)
    assert "\n" not in line
    assert entry["level"] == "INFO" and entry["logger"] == "tgserve.runtime"
    assert entry["message"] == "update 7 handled"
    assert entry["time"].endswith("Z")
    assert {k: entry[k] for k in ("update_id", "chat_id", "host", "latency_ms", "outcome")} == {
        "update_id": 7,
        "chat_id": 42,
        "host": "asgi",
        "latency_ms": 1.5,
        "outcome": "handled",
    }
    assert "aws_request_id" not in entry


def test_bound_fields_and_exceptions() -> None:
    with logs.bind(aws_request_id="req-1", cold_start=True):
        try:
            raise KeyError("x")
        except KeyError:
            rec = record()
            rec.exc_info = sys.exc_info()
            entry = json.loads(logs.JSONFormatter().format(rec))
    assert entry["aws_request_id"] == "req-1" and entry["cold_start"] is True
    assert "KeyError" in entry["exc"]
    assert "aws_request_id" not in logs.JSONFormatter().format(record())


def test_text_line_is_readable() -> None:
    line = logs.TextFormatter().format(record(update_id=7, outcome="failed"))
    assert "INFO" in line and "tgserve.runtime: update 7 handled" in line
    assert line.endswith("update_id=7 outcome=failed")


def test_formatters_mask_what_reaches_them_unmasked() -> None:
    redact.install(TOKEN)
    rec = logging.LogRecord("x", logging.INFO, __file__, 1, "raw", (), None)
    rec.msg = f"set after creation {TOKEN}"  # bypasses the factory
    for formatter in (logs.JSONFormatter(), logs.TextFormatter()):
        assert TOKEN not in formatter.format(rec)


def test_format_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(logs.FORMAT_ENV, raising=False)
    assert isinstance(logs.formatter(stream=io.StringIO()), logs.JSONFormatter)
    monkeypatch.setenv(logs.FORMAT_ENV, "text")
    assert isinstance(logs.formatter(stream=io.StringIO()), logs.TextFormatter)
    with pytest.raises(ValueError, match="TGSERVE_LOG_FORMAT"):
        logs.formatter("xml")


@pytest.mark.usefixtures("restore_root")
def test_configure_logging_replaces_its_own_handler() -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    before = len(root.handlers)
    logs.configure_logging("INFO", "json", stream)
    logs.configure_logging("DEBUG", "json", stream)
    assert len(root.handlers) == before + 1
    logging.getLogger("tgserve.x").info("hello", extra={"update_id": 3})
    entry = json.loads(stream.getvalue().splitlines()[-1])
    assert entry["message"] == "hello" and entry["update_id"] == 3


def test_importing_and_building_an_app_leaves_logging_alone() -> None:
    code = (
        "import logging, tgserve\n"
        "async def h(u, b): pass\n"
        "tgserve.asgi(h, token='1:x')\n"
        "root = logging.getLogger()\n"
        "assert root.handlers == [] and root.level == logging.WARNING, root.handlers\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)

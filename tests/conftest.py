"""Shared fixtures: a token-shaped value, and a log watch that fails on loop errors or leaks."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest

# token-shaped, so that both the configured-token and the shape redaction are exercised
TOKEN = "123456789:AAH" + "x7Kp2Qm9Zr4Tv8Wn3Ys6Ub1Lc5Dg0F_e"
SECRET = "s3cret-Token_for-tests"
FORBIDDEN = ("Event loop is closed", "never retrieved", "was never awaited")

# The suite's Bot API stubs are not Telegram: no send limits unless a test asks for them
# (tests/limits and tests/broadcast do; child processes inherit this).
os.environ.setdefault("TGSERVE_LIMITS", "off")


class LogWatch(logging.Handler):
    """Every formatted log line of the test, at DEBUG and up."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture(autouse=True)
def logwatch() -> Iterator[LogWatch]:
    """Fails the test if any log line shows a loop error or the token or secret."""
    assert len(TOKEN.split(":")[1]) == 35
    watch = LogWatch()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(watch)
    root.setLevel(logging.DEBUG)
    try:
        yield watch
    finally:
        root.removeHandler(watch)
        root.setLevel(old_level)
    text = watch.text()
    for needle in FORBIDDEN:
        assert needle not in text, f"log shows {needle!r}"
    assert TOKEN not in text and TOKEN.split(":")[1] not in text, "log shows the bot token"
    assert SECRET not in text, "log shows the webhook secret"

"""Fixtures for the hygiene tests: every record as tgserve's JSON line."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tgserve._logs import JSONFormatter


class JSONLines(logging.Handler):
    """Every record as tgserve's JSON line, at DEBUG."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JSONFormatter())
        self.lines: list[str] = []
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.lines.append(self.format(record))


@pytest.fixture
def jsonlog() -> Iterator[JSONLines]:
    handler = JSONLines()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)

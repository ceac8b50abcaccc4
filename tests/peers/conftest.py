"""Fixtures for the peers' examples: a time-scaled emulator, and logging left as found."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import pytest

from tgserve.emulator import Emulator


@pytest.fixture
async def tg() -> AsyncIterator[Emulator]:
    async with Emulator(time_scale=0.01) as emulator:
        yield emulator


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """The examples call logging.basicConfig and set logger levels at import: undo it."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in ("httpx", "aiogram", "telegram")}
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
    for name, value in levels.items():
        logging.getLogger(name).setLevel(value)

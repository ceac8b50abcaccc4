"""Fixtures for the peers' examples: a time-scaled emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tgserve.emulator import Emulator


@pytest.fixture
async def tg() -> AsyncIterator[Emulator]:
    async with Emulator(time_scale=0.01) as emulator:
        yield emulator

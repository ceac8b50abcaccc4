"""Fixtures: a running emulator (time-scaled), an HTTP client, and a webhook receiver."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import LogWatch
from tests.emulator.receiver import Receiver
from tgserve.emulator import Emulator


@pytest.fixture
async def tg(logwatch: LogWatch) -> AsyncIterator[Emulator]:
    async with Emulator(time_scale=0.01) as emulator:
        yield emulator
    secret_part = emulator.token.split(":")[1]
    ours = [line for line in logwatch.lines if line.startswith(("tgserve", "uvicorn"))]
    assert not any(secret_part in line for line in ours), "a log line shows the bot token"


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(trust_env=False, timeout=10) as http:
        yield http


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with Receiver() as rec:
        yield rec

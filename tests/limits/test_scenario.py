"""Issue 13's scenario on the emulator with flood control on: 20 users send 3 messages
each, every message is answered with 3 sendMessage: all 180 replies arrive, in each
chat's order, with at most a handful of 429s, for the plain, PTB and aiogram bots."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.conftest import LogWatch
from tests.limits.bots import BOTS, replies
from tgserve.emulator import Emulator

USERS, MESSAGES = 20, 3
HANDFUL = 5


@pytest.mark.parametrize("kind", sorted(BOTS))
async def test_180_replies_in_order_with_flood_control_on(kind: str, logwatch: LogWatch) -> None:
    async with Emulator(flood=True) as tg:
        target, bot = BOTS[kind](tg.token, tg.api_url)
        users = [tg.user(f"user{n}") for n in range(USERS)]
        async with tg.serve(target, bot=bot) as server:
            began = time.monotonic()
            for round_ in range(MESSAGES):
                for user in users:
                    await user.send(f"m{round_}")
            expected = [r for m in range(MESSAGES) for r in replies(f"m{m}")]
            deadline = time.monotonic() + 40
            while time.monotonic() < deadline:
                if all(len(u.chat.bot_messages) >= len(expected) for u in users):
                    break
                await asyncio.sleep(0.1)
            took = time.monotonic() - began
            for user in users:
                assert [m.text for m in user.chat.bot_messages] == expected, user.name
            assert tg.flood.answered <= HANDFUL, tg.flood.public()
            assert server is not None
    assert took < 30, took
    print(kind, round(took, 1), tg.flood.public())
    assert "Traceback" not in logwatch.text()

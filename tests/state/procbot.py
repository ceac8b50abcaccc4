"""The bot child processes serve: ``tests.state.procbot:application`` (STATE_TEST_BOT names it)."""

from __future__ import annotations

from tests.state.ptb_bots import from_env

application = from_env()

"""Shared bot state: PTB's data and conversations, aiogram's FSM and plain bots' state,
kept in the configured store so that they follow a chat across processes (docs/state.md).

This package imports no framework and no store client; each part is imported when used.
"""

from __future__ import annotations

from tgserve.state._base import Change, StateBackend
from tgserve.state._errors import (
    StateDecodeError,
    StateEncodeError,
    StateError,
    StateUnavailableError,
)
from tgserve.state._plain import chat_state, user_state

__all__ = [
    "Change",
    "StateBackend",
    "StateDecodeError",
    "StateEncodeError",
    "StateError",
    "StateUnavailableError",
    "chat_state",
    "user_state",
]

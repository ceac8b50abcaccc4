"""One table of update types: every type with a chat keeps per-chat order, and the table is
the Bot API's ``Update`` as aiogram and PTB (the installed versions) know it."""

from __future__ import annotations

import typing
from typing import Any

import pytest
from aiogram.types import Chat, Message, Update, User

from tgserve._dispatch import chat_key

CHAT = {"id": -1001, "type": "supergroup"}
USER = {"id": 7, "is_bot": False, "first_name": "Alice"}


def _object_of(name: str) -> Any:
    """The class of update field ``name`` in aiogram's Update (``X | None`` unwrapped)."""
    annotation = Update.model_fields[name].annotation
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    return args[0] if args else annotation


def _fields_of(cls: Any, kind: type) -> list[str]:
    """The wire names of ``cls``'s fields typed ``kind`` (or ``kind | ...``)."""
    out = []
    for name, field in cls.model_fields.items():
        annotation = field.annotation
        if annotation is kind or kind in typing.get_args(annotation):
            out.append(field.alias or name)
    return out


UPDATE_NAMES = [n for n in Update.model_fields if n != "update_id"]


def _expected(name: str) -> list[tuple[dict[str, Any], tuple[str, int] | None]]:
    """Sample objects of update type ``name`` and the key each must get."""
    cls = _object_of(name)
    chats = _fields_of(cls, Chat)
    users = [u for u in _fields_of(cls, User) if u in ("from", "user")]  # who acted, not a bot
    if "chat" in chats:  # a message, a member change, a reaction...: the chat it is in
        return [({"chat": CHAT, **{u: USER for u in users}}, ("chat", CHAT["id"]))]
    samples: list[tuple[dict[str, Any], tuple[str, int] | None]] = []
    if "message" in cls.model_fields:  # a callback: its message's chat, else its user
        samples.append(({"message": {"chat": CHAT}, "from": USER}, ("chat", CHAT["id"])))
    samples += [({u: USER}, ("user", USER["id"])) for u in users]
    samples += [({c: CHAT}, ("chat", CHAT["id"])) for c in chats]  # a poll_answer's voter_chat
    return samples or [({"id": "x"}, None)]


@pytest.mark.parametrize("name", UPDATE_NAMES)
def test_every_update_type_with_a_chat_or_a_sender_gets_its_key(name: str) -> None:
    for body, key in _expected(name):
        assert chat_key({"update_id": 1, name: body}) == key, (name, body)


def test_only_a_poll_has_no_conversation() -> None:
    keyless = [n for n in UPDATE_NAMES if _expected(n)[0][1] is None]
    assert keyless == ["poll"]


def test_the_table_is_the_bot_apis_update() -> None:
    import telegram

    from tgserve._update_types import (
        ALL_UPDATE_TYPES,
        KNOWN_UPDATE_TYPES,
        MESSAGE_TYPES,
        NEWER_TYPES,
        NOT_BY_DEFAULT,
    )

    assert set(KNOWN_UPDATE_TYPES) == set(UPDATE_NAMES)  # aiogram knows the newest
    ptb = {str(t) for t in telegram.Update.ALL_TYPES}
    assert set(ALL_UPDATE_TYPES) <= ptb <= set(KNOWN_UPDATE_TYPES)
    assert not set(NEWER_TYPES) & set(ALL_UPDATE_TYPES)
    assert set(MESSAGE_TYPES) == {n for n in UPDATE_NAMES if _object_of(n) is Message}
    assert set(ALL_UPDATE_TYPES) >= NOT_BY_DEFAULT
    for name, where in KNOWN_UPDATE_TYPES.items():  # the table says what the samples show
        chats = _fields_of(_object_of(name), Chat)
        if where in ("message", "chat"):
            assert "chat" in chats, name
        else:
            assert "chat" not in chats, name
        assert (where == "none") == (_expected(name)[0][1] is None), name

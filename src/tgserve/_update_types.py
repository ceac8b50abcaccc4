"""The Bot API's update types, in one table: each name and where its conversation is.

The webhook's subscription (``allowed_updates``), the PTB handlers' types and the
scheduler's per-chat key (:func:`tgserve._dispatch.chat_key`) all read this table, so a
new update type is added once. The Bot API's ``Update`` object is the source
(https://core.telegram.org/bots/api#update); tests compare the table with the fields
PTB's and aiogram's ``Update`` know.
"""

from __future__ import annotations

from typing import Literal

Where = Literal["message", "chat", "sender", "none"]
"""Where an update's conversation is: ``message``, the object is a Message and its ``chat``
is the key; ``chat``, the object's ``chat``; ``sender``, a callback's ``message.chat``, else
the user who sent it (``from`` or ``user``), else ``voter_chat``; ``none``, neither."""

# name -> where its conversation is; in the Bot API's order, messages first
UPDATE_TYPES: dict[str, Where] = {
    "message": "message",
    "edited_message": "message",
    "channel_post": "message",
    "edited_channel_post": "message",
    "business_message": "message",
    "edited_business_message": "message",
    "guest_message": "message",
    "business_connection": "sender",
    "deleted_business_messages": "chat",
    "message_reaction": "chat",
    "message_reaction_count": "chat",
    "inline_query": "sender",
    "chosen_inline_result": "sender",
    "callback_query": "sender",
    "shipping_query": "sender",
    "pre_checkout_query": "sender",
    "purchased_paid_media": "sender",
    "poll": "none",
    "poll_answer": "sender",
    "my_chat_member": "chat",
    "chat_member": "chat",
    "chat_join_request": "chat",
    "chat_boost": "chat",
    "removed_chat_boost": "chat",
    "managed_bot": "sender",
}
# Newer names some frameworks know already: accepted in allowed_updates and keyed by
# chat like the others, not subscribed to by default.
NEWER_UPDATE_TYPES: dict[str, Where] = {
    "subscription": "sender",
    "stopped_message_generation": "chat",
}

ALL_UPDATE_TYPES: tuple[str, ...] = tuple(UPDATE_TYPES)
NEWER_TYPES: tuple[str, ...] = tuple(NEWER_UPDATE_TYPES)
KNOWN_UPDATE_TYPES: dict[str, Where] = {**UPDATE_TYPES, **NEWER_UPDATE_TYPES}
MESSAGE_TYPES: tuple[str, ...] = tuple(n for n, w in UPDATE_TYPES.items() if w == "message")

# What Telegram sends when allowed_updates was never given: all but these three.
NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

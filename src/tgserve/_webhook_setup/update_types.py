"""The Bot API's update types, and Telegram's own default subscription."""

from __future__ import annotations

from typing import Any, Protocol

MESSAGE_TYPES: tuple[str, ...] = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_message",
    "edited_business_message",
    "guest_message",
)

ALL_UPDATE_TYPES: tuple[str, ...] = (
    *MESSAGE_TYPES,
    "business_connection",
    "deleted_business_messages",
    "message_reaction",
    "message_reaction_count",
    "inline_query",
    "chosen_inline_result",
    "callback_query",
    "shipping_query",
    "pre_checkout_query",
    "purchased_paid_media",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "chat_boost",
    "removed_chat_boost",
    "managed_bot",
)
# Newer names some frameworks know already; accepted in allowed_updates, not sent by default.
NEWER_TYPES: tuple[str, ...] = ("subscription", "stopped_message_generation")

# What Telegram sends when allowed_updates was never given: all but these three.
NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class HasAllowedUpdates(Protocol):
    """What :func:`allowed_updates_for` reads of a :class:`~tgserve._config.Config`."""

    @property
    def allowed_updates(self) -> tuple[str, ...] | None: ...


def allowed_updates_for(config: HasAllowedUpdates, adapter: Any) -> tuple[str, ...]:
    """The explicit option, else what the bot's adapter says it can handle, else all."""
    if config.allowed_updates is not None:
        return config.allowed_updates
    derive = getattr(adapter, "allowed_updates", None)
    derived = derive() if callable(derive) else None
    return tuple(derived) if derived else ALL_UPDATE_TYPES

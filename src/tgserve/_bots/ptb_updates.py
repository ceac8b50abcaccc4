"""The update types a PTB Application's handlers can receive (its ``allowed_updates``).

Each handler class maps to the updates it checks for; a handler this table does not
know, or a ``TypeHandler`` of ``Update`` (any update), means every type. A superset is
safe (an update no handler takes is dropped by PTB); a missing type never arrives.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from telegram import Update, ext

from tgserve._update_types import MESSAGE_TYPES

ALL = "*"
SIMPLE: dict[type[Any], tuple[str, ...]] = {
    ext.MessageHandler: MESSAGE_TYPES,
    ext.CommandHandler: MESSAGE_TYPES,
    ext.PrefixHandler: MESSAGE_TYPES,
    ext.CallbackQueryHandler: ("callback_query",),
    ext.InlineQueryHandler: ("inline_query",),
    ext.ChosenInlineResultHandler: ("chosen_inline_result",),
    ext.PollHandler: ("poll",),
    ext.PollAnswerHandler: ("poll_answer",),
    ext.ShippingQueryHandler: ("shipping_query",),
    ext.PreCheckoutQueryHandler: ("pre_checkout_query",),
    ext.ChatJoinRequestHandler: ("chat_join_request",),
    ext.ChatBoostHandler: ("chat_boost", "removed_chat_boost"),
    ext.BusinessConnectionHandler: ("business_connection",),
    ext.BusinessMessagesDeletedHandler: ("deleted_business_messages",),
    ext.PaidMediaPurchasedHandler: ("purchased_paid_media",),
    ext.StringCommandHandler: (),  # strings put on the queue by the bot itself
    ext.StringRegexHandler: (),
}


CHAT_MEMBER: dict[int | None, tuple[str, ...]] = {
    ext.ChatMemberHandler.MY_CHAT_MEMBER: ("my_chat_member",),
    ext.ChatMemberHandler.CHAT_MEMBER: ("chat_member",),
}
REACTION: dict[int | None, tuple[str, ...]] = {
    ext.MessageReactionHandler.MESSAGE_REACTION_UPDATED: ("message_reaction",),
    ext.MessageReactionHandler.MESSAGE_REACTION_COUNT_UPDATED: ("message_reaction_count",),
}


def used_update_types(app: Any) -> list[str] | None:
    """The sorted types; ``None`` when some handler can take any update."""
    found: set[str] = set()
    for types in _types(h for group in app.handlers.values() for h in group):
        if types == ALL:
            return None
        found.update(types)
    return sorted(found)


def _types(handlers: Iterable[Any]) -> Iterator[str | tuple[str, ...]]:
    for handler in handlers:
        if isinstance(handler, ext.ConversationHandler):
            yield from _types(handler.entry_points)
            yield from _types(h for hs in handler.states.values() for h in hs)
            yield from _types(handler.fallbacks)
        elif isinstance(handler, ext.ChatMemberHandler):
            yield CHAT_MEMBER.get(handler.chat_member_types, ("my_chat_member", "chat_member"))
        elif isinstance(handler, ext.MessageReactionHandler):
            kinds = handler.message_reaction_types
            yield REACTION.get(kinds, ("message_reaction", "message_reaction_count"))
        elif isinstance(handler, ext.TypeHandler):
            yield ALL if issubclass(Update, handler.type) else ()
        else:
            yield next((t for cls, t in SIMPLE.items() if isinstance(handler, cls)), ALL)

"""Bot API methods on existing messages: forward, copy, pin and unpin."""

from __future__ import annotations

from typing import Any

from tgserve.emulator._errors import bad_request
from tgserve.emulator._messages import caption_content, post, resolve_chat
from tgserve.emulator._params import Params
from tgserve.emulator._registry import method
from tgserve.emulator._state import JSON, BotState, Event, Message, World

_NOT_CONTENT = frozenset(
    {
        "message_id",
        "from",
        "chat",
        "date",
        "edit_date",
        "reply_to_message",
        "reply_markup",
        "forward_origin",
        "via_bot",
        "media_group_id",
    }
)
_SERVICE = ("new_chat_members", "left_chat_member", "successful_payment", "pinned_message")


def _source(world: World, bot: BotState, chat_id: int, message_id: int) -> Message:
    found = world.conversation(bot.id, chat_id).messages.get(message_id)
    if found is None or found.deleted:
        raise bad_request("message to forward not found")
    if any(k in found.raw for k in _SERVICE):
        raise bad_request("message can't be forwarded")
    return found


def _content(message: Message) -> JSON:
    return {k: v for k, v in message.raw.items() if k not in _NOT_CONTENT}


def _origin(message: Message) -> JSON:
    sender = message.raw.get("from") or {}
    return {"type": "user", "sender_user": sender, "date": message.raw.get("date", 0)}


def _ids(p: Params) -> list[int]:
    ids = p.json("message_ids")
    if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
        raise bad_request("message_ids must be a list of 1-100 message identifiers")
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise bad_request("message_ids must be a list of 1-100 message identifiers")
    return sorted(ids)


def _from_chat(world: World, p: Params) -> int:
    return int(resolve_chat(world, p, "from_chat_id")["id"])


@method("forwardMessage")
async def forward_message(world: World, bot: BotState, p: Params) -> Any:
    chat, source = resolve_chat(world, p), _from_chat(world, p)
    message = _source(world, bot, source, p.integer("message_id") or 0)
    content = {**_content(message), "forward_origin": _origin(message)}
    return post(world, bot, chat, Params({}), content).raw


@method("forwardMessages")
async def forward_messages(world: World, bot: BotState, p: Params) -> Any:
    chat, source = resolve_chat(world, p), _from_chat(world, p)
    sent = []
    for ident in _ids(p):
        message = _source(world, bot, source, ident)
        content = {**_content(message), "forward_origin": _origin(message)}
        sent.append({"message_id": post(world, bot, chat, Params({}), content).id})
    return sent


def _copy(world: World, bot: BotState, chat: JSON, message: Message, p: Params) -> int:
    content = _content(message)
    if "caption" in p or "caption_entities" in p:
        content = {k: v for k, v in content.items() if k not in ("caption", "caption_entities")}
        content.update(caption_content(p))
    return post(world, bot, chat, p, content).id


@method("copyMessage")
async def copy_message(world: World, bot: BotState, p: Params) -> Any:
    chat, source = resolve_chat(world, p), _from_chat(world, p)
    message = _source(world, bot, source, p.integer("message_id") or 0)
    return {"message_id": _copy(world, bot, chat, message, p)}


@method("copyMessages")
async def copy_messages(world: World, bot: BotState, p: Params) -> Any:
    chat, source = resolve_chat(world, p), _from_chat(world, p)
    bare = Params({})
    return [
        {"message_id": _copy(world, bot, chat, _source(world, bot, source, i), bare)}
        for i in _ids(p)
    ]


@method("pinChatMessage")
async def pin_chat_message(world: World, bot: BotState, p: Params) -> Any:
    chat = resolve_chat(world, p)
    conv = world.conversation(bot.id, chat["id"])
    message = conv.messages.get(p.integer("message_id") or 0)
    if message is None or message.deleted:
        raise bad_request("message to pin not found")
    conv.pinned = [m for m in conv.pinned if m != message.id] + [message.id]
    world.record(Event("pin", bot.id, chat["id"], message))
    return True


@method("unpinChatMessage")
async def unpin_chat_message(world: World, bot: BotState, p: Params) -> Any:
    chat = resolve_chat(world, p)
    conv = world.conversation(bot.id, chat["id"])
    ident = p.integer("message_id")
    if ident is None:
        ident = conv.pinned[-1] if conv.pinned else None
    if ident is None or ident not in conv.pinned:
        raise bad_request("message to unpin not found")
    conv.pinned.remove(ident)
    world.record(Event("unpin", bot.id, chat["id"], conv.messages.get(ident)))
    return True


@method("unpinAllChatMessages")
async def unpin_all_chat_messages(world: World, bot: BotState, p: Params) -> Any:
    chat = resolve_chat(world, p)
    conv = world.conversation(bot.id, chat["id"])
    conv.pinned.clear()
    world.record(Event("unpin", bot.id, chat["id"], None, {"all": True}))
    return True

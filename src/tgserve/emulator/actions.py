"""What simulated users do: send text and files, press inline buttons."""

from __future__ import annotations

import secrets
import time

from tgserve.emulator.formatting import detect_entities
from tgserve.emulator.media import document, photo_sizes
from tgserve.emulator.state import JSON, BotState, CallbackRecord, Event, Message, World


def _check(world: World, user_id: int, chat_id: int) -> tuple[JSON, JSON]:
    user = world.users.get(user_id)
    chat = world.chats.get(chat_id)
    if user is None or chat is None:
        raise LookupError("unknown user or chat")
    if chat["type"] == "private" and chat_id != user_id:
        raise LookupError("a user can only write in their own private chat")
    if chat["type"] != "private" and user_id not in world.members.get(chat_id, []):
        raise LookupError("the user is not a member of this group")
    return user, chat


def user_message(
    world: World,
    bot: BotState,
    user_id: int,
    chat_id: int,
    content: JSON,
    reply_to: int | None = None,
) -> Message:
    """Post a message from a user into a chat with `bot`, and queue its update."""
    user, chat = _check(world, user_id, chat_id)
    conv = world.conversation(bot.id, chat_id)
    raw: JSON = {
        "message_id": conv.allocate_id(),
        "from": dict(user),
        "chat": dict(chat),
        "date": int(time.time()),
        **content,
    }
    if reply_to is not None and reply_to in conv.messages:
        replied = conv.messages[reply_to].raw
        raw["reply_to_message"] = {k: v for k, v in replied.items() if k != "reply_to_message"}
    message = Message(bot.id, chat_id, raw, from_bot=False)
    conv.messages[message.id] = message
    world.record(Event("message", bot.id, chat_id, message))
    world.push_update(bot, "message", raw, chat_id)
    return message


def send_text(
    world: World, bot: BotState, user_id: int, chat_id: int, text: str, reply_to: int | None = None
) -> Message:
    if not text:
        raise ValueError("a message needs text")
    content: JSON = {"text": text}
    entities = detect_entities(text)
    if entities:
        content["entities"] = entities
    return user_message(world, bot, user_id, chat_id, content, reply_to)


def send_file(
    world: World,
    bot: BotState,
    user_id: int,
    chat_id: int,
    data: bytes,
    *,
    kind: str = "photo",
    filename: str = "photo.png",
    mime_type: str = "image/png",
    caption: str | None = None,
) -> Message:
    stored = world.store_file(data, kind, filename, mime_type)
    content: JSON = (
        {"photo": photo_sizes(stored)} if kind == "photo" else {"document": document(stored)}
    )
    if caption:
        content["caption"] = caption
    return user_message(world, bot, user_id, chat_id, content)


def press(world: World, bot: BotState, user_id: int, message: Message, data: str) -> CallbackRecord:
    """A user presses an inline button carrying callback `data` under `message`."""
    user, _ = _check(world, user_id, message.chat_id)
    record = CallbackRecord(
        str(secrets.randbelow(10**18) + 10**18), bot.id, message.chat_id, user_id
    )
    world.callbacks[record.id] = record
    instance = str(abs(hash((bot.id, message.chat_id))))
    query: JSON = {
        "id": record.id,
        "from": dict(user),
        "message": message.raw,
        "chat_instance": instance,
        "data": data,
    }
    world.push_update(bot, "callback_query", query, message.chat_id)
    return record


def find_button(message: Message, label: str) -> str:
    """The callback_data of the inline button whose text (or data) is `label`."""
    rows = (message.markup or {}).get("inline_keyboard", [])
    buttons = [b for row in rows for b in row if "callback_data" in b]
    for key in ("text", "callback_data"):
        for button in buttons:
            if button.get(key) == label:
                return str(button["callback_data"])
    texts = [b.get("text") for b in buttons]
    raise LookupError(f"no inline button {label!r} under message {message.id}; buttons: {texts}")

"""What simulated users do: send text, files, places, contacts, dice; edit; press; react."""

from __future__ import annotations

import mimetypes
import secrets
import time

from tgserve.emulator._formatting import detect_entities
from tgserve.emulator._media import DICE, guess_mime, media_object
from tgserve.emulator._state import JSON, BotState, CallbackRecord, Event, Message, World


def check_member(world: World, user_id: int, chat_id: int) -> tuple[JSON, JSON]:
    """The user and the chat, once `user_id` may write in `chat_id` (else LookupError)."""
    user = world.users.get(user_id)
    chat = world.chats.get(chat_id)
    if user is None or chat is None:
        raise LookupError("unknown user or chat")
    if chat["type"] == "private" and chat_id != user_id:
        raise LookupError("a user can only write in their own private chat")
    if chat["type"] != "private" and user_id not in world.members.get(chat_id, []):
        raise LookupError("the user is not a member of this group")
    return user, chat


def bot_present(world: World, bot: BotState, chat_id: int) -> bool:
    """False once the bot left or was removed from the group (or blocked in private)."""
    status = world.bot_status.get((bot.id, chat_id))
    return status is None or status.get("status") not in ("left", "kicked")


def user_message(
    world: World,
    bot: BotState,
    user_id: int,
    chat_id: int,
    content: JSON,
    reply_to: int | None = None,
    *,
    deliver: bool = True,
) -> Message:
    """Post a message from a user into a chat with `bot`, and queue its update."""
    user, chat = check_member(world, user_id, chat_id)
    if not bot_present(world, bot, chat_id):
        raise LookupError("the bot is not in this chat (it was removed, or blocked)")
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
    if deliver:
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
    filename: str | None = None,
    mime_type: str | None = None,
    caption: str | None = None,
) -> Message:
    """A user sends `data` as `kind` (photo, document, video, audio, voice, sticker ...).

    Without `mime_type` the type comes from the data's first bytes (a JPEG is image/jpeg).
    """
    mime = mime_type or guess_mime(data, filename or "")
    name = filename or kind + (mimetypes.guess_extension(mime) or ".bin")
    stored = world.store_file(data, kind, name, mime)
    content: JSON = media_object(stored, kind)
    if caption:
        content["caption"] = caption
    return user_message(world, bot, user_id, chat_id, content)


def press(world: World, bot: BotState, user_id: int, message: Message, data: str) -> CallbackRecord:
    """A user presses an inline button carrying callback `data` under `message`."""
    user, _ = check_member(world, user_id, message.chat_id)
    if data not in callback_data(message):
        raise LookupError(f"no inline button under message {message.id} carries {data!r}")
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


def callback_data(message: Message) -> list[str]:
    """The callback_data of every inline button under `message`."""
    rows = (message.markup or {}).get("inline_keyboard", [])
    return [str(b["callback_data"]) for row in rows for b in row if "callback_data" in b]


def edit_text(world: World, bot: BotState, user_id: int, message: Message, text: str) -> Message:
    """The user edits their own message; the bot gets an ``edited_message``."""
    if message.from_bot or message.raw.get("from", {}).get("id") != user_id:
        raise LookupError("a user can only edit their own messages")
    if "text" not in message.raw:
        raise LookupError("only text messages can be edited here")
    if not text:
        raise ValueError("a message needs text")
    raw = {k: v for k, v in message.raw.items() if k not in ("text", "entities")}
    raw["text"] = text
    entities = detect_entities(text)
    if entities:
        raw["entities"] = entities
    raw["edit_date"] = int(time.time())
    message.raw = raw
    message.edits += 1
    world.record(Event("edit", bot.id, message.chat_id, message))
    world.push_update(bot, "edited_message", raw, message.chat_id)
    return message


def send_location(
    world: World, bot: BotState, user_id: int, chat_id: int, latitude: float, longitude: float
) -> Message:
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ValueError("latitude must be within -90..90 and longitude within -180..180")
    place = {"latitude": float(latitude), "longitude": float(longitude)}
    return user_message(world, bot, user_id, chat_id, {"location": place})


def send_venue(
    world: World,
    bot: BotState,
    user_id: int,
    chat_id: int,
    latitude: float,
    longitude: float,
    title: str,
    address: str,
) -> Message:
    if not title or not address:
        raise ValueError("a venue needs a title and an address")
    place = {"latitude": float(latitude), "longitude": float(longitude)}
    venue = {"location": place, "title": title, "address": address}
    return user_message(world, bot, user_id, chat_id, {"venue": venue, "location": place})


def send_contact(
    world: World,
    bot: BotState,
    user_id: int,
    chat_id: int,
    phone_number: str,
    first_name: str,
    last_name: str | None = None,
    contact_user_id: int | None = None,
) -> Message:
    if not phone_number or not first_name:
        raise ValueError("a contact needs a phone number and a first name")
    contact: JSON = {"phone_number": phone_number, "first_name": first_name}
    if last_name:
        contact["last_name"] = last_name
    if contact_user_id is not None:
        contact["user_id"] = contact_user_id
    return user_message(world, bot, user_id, chat_id, {"contact": contact})


def send_dice(
    world: World, bot: BotState, user_id: int, chat_id: int, emoji: str = "🎲"
) -> Message:
    if emoji not in DICE:
        raise ValueError(f"dice emoji is one of {' '.join(DICE)}")
    dice = {"emoji": emoji, "value": 1 + secrets.randbelow(DICE[emoji])}
    return user_message(world, bot, user_id, chat_id, {"dice": dice})


def send_web_app_data(
    world: World, bot: BotState, user_id: int, data: str, button_text: str
) -> Message:
    """A Web App opened from a reply keyboard button sends `data` (private chats only)."""
    if not data:
        raise ValueError("web app data is empty")
    content = {"web_app_data": {"data": data, "button_text": button_text}}
    return user_message(world, bot, user_id, user_id, content)


def react(
    world: World, bot: BotState, user_id: int, message: Message, emoji: list[str]
) -> JSON | None:
    """The user sets their reactions on `message`; the bot may get a ``message_reaction``."""
    user, chat = check_member(world, user_id, message.chat_id)
    old = message.reactions.get(str(user_id), [])
    new = [{"type": "emoji", "emoji": e} for e in emoji]
    if new:
        message.reactions[str(user_id)] = new
    else:
        message.reactions.pop(str(user_id), None)
    update: JSON = {
        "chat": dict(chat),
        "message_id": message.id,
        "user": dict(user),
        "date": int(time.time()),
        "old_reaction": old,
        "new_reaction": new,
    }
    world.record(Event("reaction", bot.id, message.chat_id, message, {"user_id": user_id}))
    world.push_update(bot, "message_reaction", update, message.chat_id)
    return update

"""Building and validating the messages bots send: text, captions, markup, replies."""

from __future__ import annotations

import re
import time
from typing import Any

from tgserve.emulator._errors import ApiError, bad_request
from tgserve.emulator._formatting import apply_parse_mode, detect_entities, utf16_len
from tgserve.emulator._params import Params
from tgserve.emulator._state import JSON, BotState, Event, Message, World

_BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "web_app",
    "login_url",
    "pay",
    "callback_game",
    "copy_text",
)


def resolve_chat(world: World, p: Params, name: str = "chat_id") -> JSON:
    chat = world.chat(p.chat_id(name))
    if chat is None:
        raise bad_request("chat not found")
    return chat


def check_present(world: World, bot: BotState, chat: JSON) -> None:
    """403 as Telegram's when the bot was removed from the group or blocked by the user."""
    status = world.bot_status.get((bot.id, int(chat["id"])), {}).get("status")
    if status not in ("kicked", "left"):
        return
    if chat["type"] == "private":
        raise ApiError(403, "Forbidden: bot was blocked by the user")
    kind = "supergroup chat" if chat["type"] == "supergroup" else "group chat"
    if status == "kicked":
        raise ApiError(403, f"Forbidden: bot was kicked from the {kind}")
    raise ApiError(403, f"Forbidden: bot is not a member of the {kind}")


def formatted(
    p: Params,
    field: str,
    entities_field: str,
    parse_mode: str = "parse_mode",
) -> tuple[str, list[JSON]]:
    text = p.text(field) or ""
    given = p.json(entities_field)
    if given:
        if not isinstance(given, list):
            raise bad_request(f"can't parse {entities_field} JSON object")
        return text, [dict(e) for e in given]
    return apply_parse_mode(text, p.text(parse_mode))


def text_content(p: Params, field: str = "text") -> JSON:
    text, entities = formatted(p, field, "entities")
    if not entities and "entities" not in p:
        entities = detect_entities(text)  # Telegram finds URLs, @mentions, commands itself
    if not text.strip():
        raise bad_request("message text is empty")
    if utf16_len(text) > 4096:
        raise bad_request("message is too long")
    content: JSON = {"text": text}
    if entities:
        content["entities"] = entities
    return content


def caption_content(p: Params) -> JSON:
    caption, entities = formatted(p, "caption", "caption_entities")
    content: JSON = {}
    if caption:
        if utf16_len(caption) > 1024:
            raise bad_request("message caption is too long")
        content["caption"] = caption
        if entities:
            content["caption_entities"] = entities
    return content


def check_markup(markup: Any) -> JSON | None:
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is not None:
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request(
                'can\'t parse inline keyboard button: field "inline_keyboard" '
                "of the InlineKeyboardMarkup must be an Array of Arrays"
            )
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not button.get("text"):
                    raise bad_request("can't parse inline keyboard button: Text is empty")
                if not any(k in button for k in _BUTTON_ACTIONS):
                    raise bad_request(
                        "can't parse inline keyboard button: Text buttons are "
                        "unallowed in the inline keyboard"
                    )
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    raise bad_request("BUTTON_DATA_INVALID")
    return markup


def reply_target(world: World, bot: BotState, chat: JSON, p: Params) -> JSON | None:
    params = p.json("reply_parameters") or {}
    message_id = params.get("message_id") if isinstance(params, dict) else None
    if message_id is None:
        message_id = p.integer("reply_to_message_id")
    if message_id is None:
        return None
    allow = bool(params.get("allow_sending_without_reply")) or p.flag("allow_sending_without_reply")
    found = world.conversation(bot.id, chat["id"]).messages.get(int(message_id))
    if found is None or found.deleted:
        if allow:
            return None
        raise bad_request("message to be replied not found")
    return {k: v for k, v in found.raw.items() if k != "reply_to_message"}


_USER_LINK = re.compile(r"^tg://user\?id=(\d+)$")


def with_mentions(world: World, content: JSON) -> JSON:
    """Links to ``tg://user?id=N`` become ``text_mention`` entities, as Telegram makes them."""
    for field in ("entities", "caption_entities"):
        entities = content.get(field)
        if not isinstance(entities, list):
            continue
        changed = []
        for entity in entities:
            url = str(entity.get("url", "")) if isinstance(entity, dict) else ""
            link = _USER_LINK.match(url)
            if link is None or entity.get("type") != "text_link":
                changed.append(entity)
                continue
            ident = int(link.group(1))
            user = world.users.get(ident) or {"id": ident, "is_bot": False, "first_name": ""}
            mention = {k: v for k, v in entity.items() if k != "url"}
            changed.append({**mention, "type": "text_mention", "user": dict(user)})
        content[field] = changed
    return content


def post(world: World, bot: BotState, chat: JSON, p: Params, content: JSON) -> Message:
    """Store a message the bot sends and report it; return it."""
    content = with_mentions(world, content)
    check_present(world, bot, chat)
    conv = world.conversation(bot.id, chat["id"])
    markup = check_markup(p.json("reply_markup"))
    raw: JSON = {
        "message_id": conv.allocate_id(),
        "from": bot.user(),
        "chat": dict(chat),
        "date": int(time.time()),
        **content,
    }
    replied = reply_target(world, bot, chat, p)
    if replied is not None:
        raw["reply_to_message"] = replied
    if markup is not None and "inline_keyboard" in markup:
        raw["reply_markup"] = markup
    message = Message(bot.id, chat["id"], raw, markup, from_bot=True)
    conv.messages[message.id] = message
    world.record(Event("message", bot.id, chat["id"], message))
    return message


def find_own(world: World, bot: BotState, p: Params, action: str) -> Message:
    if "inline_message_id" in p:
        raise bad_request("inline messages are not supported by the emulator")
    chat = resolve_chat(world, p)
    message_id = p.integer("message_id")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    found = world.conversation(bot.id, chat["id"]).messages.get(message_id)
    if found is None or found.deleted:
        raise bad_request(f"message to {action} not found")
    if action == "edit" and not found.from_bot:
        raise bad_request("message can't be edited")
    return found


def edit(world: World, message: Message, raw: JSON, markup: JSON | None) -> Message:
    if raw == message.raw and markup == message.markup:
        raise bad_request(
            "message is not modified: specified new message content and reply "
            "markup are exactly the same as a current content and reply markup "
            "of the message"
        )
    raw["edit_date"] = int(time.time())
    message.raw = raw
    message.markup = markup
    message.edits += 1
    world.record(Event("edit", message.bot_id, message.chat_id, message))
    return message


COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")


def replace_content(
    world: World, message: Message, p: Params, fields: tuple[str, ...], content: JSON
) -> JSON:
    """An edit: ``fields`` and the markup give way to ``content`` and the new markup."""
    raw = {k: v for k, v in message.raw.items() if k not in (*fields, "reply_markup")}
    raw.update(with_mentions(world, content))
    markup = check_markup(p.json("reply_markup"))
    if markup is not None:
        raw["reply_markup"] = markup
    return edit(world, message, raw, markup).raw

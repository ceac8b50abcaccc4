"""Core Bot API methods: the bot itself, updates, webhooks, text messages, commands, files."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from tgserve.emulator._errors import bad_request, conflict
from tgserve.emulator._media import document, photo_sizes, upload
from tgserve.emulator._messages import (
    COMMAND_RE,
    caption_content,
    find_own,
    post,
    replace_content,
    resolve_chat,
    text_content,
)
from tgserve.emulator._params import Params
from tgserve.emulator._registry import Described, method
from tgserve.emulator._state import JSON, BotState, Event, Webhook, World

SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
NO_WEBHOOK = (
    "can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
TERMINATED = (
    "terminated by other getUpdates request; make sure that only one bot instance is running"
)


@method("getMe")
async def get_me(world: World, bot: BotState, p: Params) -> Any:
    return bot.me()


@method("logOut")
async def log_out(world: World, bot: BotState, p: Params) -> Any:
    return True


@method("close")
async def close(world: World, bot: BotState, p: Params) -> Any:
    return True


@method("getUpdates")
async def get_updates(world: World, bot: BotState, p: Params) -> Any:
    if bot.webhook is not None:
        raise conflict(NO_WEBHOOK)
    bot.poll_generation += 1
    generation = bot.poll_generation
    bot.signal.fire()
    offset = p.integer("offset", 0) or 0
    limit = min(max(p.integer("limit", 100) or 100, 1), 100)
    timeout = max(p.integer("timeout", 0) or 0, 0)
    allowed = p.json("allowed_updates")
    if isinstance(allowed, list):
        bot.allowed_updates = [str(a) for a in allowed] or None
    if offset > 0:
        bot.updates = [u for u in bot.updates if u.update_id >= offset]
    elif offset < 0:
        bot.updates = bot.updates[offset:]
    deadline = time.monotonic() + timeout
    while True:
        if generation != bot.poll_generation:
            raise conflict(TERMINATED)
        if bot.webhook is not None:
            raise conflict(NO_WEBHOOK)
        ready = [u.payload for u in bot.updates[:limit]]
        remaining = deadline - time.monotonic()
        if ready or remaining <= 0 or world.closed:
            return ready
        await bot.signal.wait(remaining)


@method("setWebhook")
async def set_webhook(world: World, bot: BotState, p: Params) -> Any:
    url = p.text("url") or ""
    if not url:
        return await delete_webhook(world, bot, p)
    if not url.startswith(("http://", "https://")):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = p.text("secret_token")
    if secret is not None and not SECRET_RE.match(secret):
        raise bad_request("secret token contains unallowed characters")
    max_connections = p.integer("max_connections")
    max_connections = 40 if max_connections is None else max_connections
    if not 1 <= max_connections <= 100:
        raise bad_request("bad max_connections")
    allowed = p.json("allowed_updates")
    if isinstance(allowed, list):
        bot.allowed_updates = [str(a) for a in allowed] or None
    if p.flag("drop_pending_updates"):
        bot.updates = [u for u in bot.updates if u.in_flight]
    new = Webhook(url, secret, max_connections, bot.allowed_updates)
    same = bot.webhook == new
    world.start_webhook(bot, new)
    return Described(True, "Webhook is already set" if same else "Webhook was set")


@method("deleteWebhook")
async def delete_webhook(world: World, bot: BotState, p: Params) -> Any:
    had = bot.webhook is not None
    await world.stop_webhook(bot)
    if p.flag("drop_pending_updates"):
        bot.updates.clear()
    return Described(True, "Webhook was deleted" if had else "Webhook is already deleted")


@method("getWebhookInfo")
async def get_webhook_info(world: World, bot: BotState, p: Params) -> Any:
    info: JSON = {
        "url": "",
        "has_custom_certificate": False,
        "pending_update_count": len(bot.updates),
    }
    hook = bot.webhook
    if hook is not None:
        info["url"] = hook.url
        info["max_connections"] = hook.max_connections
        info["ip_address"] = "127.0.0.1"
        if bot.allowed_updates:
            info["allowed_updates"] = list(bot.allowed_updates)
    if bot.last_error_date is not None:
        info["last_error_date"] = bot.last_error_date
        info["last_error_message"] = bot.last_error_message
    return info


@method("sendMessage")
async def send_message(world: World, bot: BotState, p: Params) -> Any:
    chat = resolve_chat(world, p)
    return post(world, bot, chat, p, text_content(p)).raw


@method("sendPhoto")
async def send_photo(world: World, bot: BotState, p: Params) -> Any:
    chat = resolve_chat(world, p)
    stored = upload(world, p, "photo", "photo")
    return post(world, bot, chat, p, {"photo": photo_sizes(stored), **caption_content(p)}).raw


@method("sendDocument")
async def send_document(world: World, bot: BotState, p: Params) -> Any:
    chat = resolve_chat(world, p)
    stored = upload(world, p, "document", "document")
    return post(world, bot, chat, p, {"document": document(stored), **caption_content(p)}).raw


@method("editMessageText")
async def edit_message_text(world: World, bot: BotState, p: Params) -> Any:
    message = find_own(world, bot, p, "edit")
    if "text" not in message.raw:
        raise bad_request("there is no text in the message to edit")
    return replace_content(world, message, p, ("text", "entities"), text_content(p))


@method("editMessageCaption")
async def edit_message_caption(world: World, bot: BotState, p: Params) -> Any:
    message = find_own(world, bot, p, "edit")
    return replace_content(world, message, p, ("caption", "caption_entities"), caption_content(p))


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(world: World, bot: BotState, p: Params) -> Any:
    return replace_content(world, find_own(world, bot, p, "edit"), p, (), {})


@method("deleteMessage")
async def delete_message(world: World, bot: BotState, p: Params) -> Any:
    message = find_own(world, bot, p, "delete")
    message.deleted = True
    world.record(Event("delete", message.bot_id, message.chat_id, message))
    return True


@method("answerCallbackQuery")
async def answer_callback_query(world: World, bot: BotState, p: Params) -> Any:
    record = world.callbacks.get(p.text("callback_query_id") or "")
    if record is None or record.bot_id != bot.id or record.kind != "callback_query":
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    if record.answer is not None:
        return True  # a second answer changes nothing (aiogram's scene example sends one)
    record.answer = {
        "text": p.text("text"),
        "show_alert": p.flag("show_alert"),
        "url": p.text("url"),
        "cache_time": p.integer("cache_time", 0),
    }
    record.signal.fire()
    world.record(
        Event(
            "answer",
            bot.id,
            record.chat_id,
            None,
            {"callback_query_id": record.id, **record.answer},
        )
    )
    return True


@method("sendChatAction")
async def send_chat_action(world: World, bot: BotState, p: Params) -> Any:
    chat = resolve_chat(world, p)
    action = p.text("action") or ""
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    world.record(Event("action", bot.id, chat["id"], None, {"action": action}))
    return True


@method("getChat")
async def get_chat(world: World, bot: BotState, p: Params) -> Any:
    chat = resolve_chat(world, p)
    gifts = {
        "unlimited_gifts": False,
        "limited_gifts": False,
        "unique_gifts": False,
        "premium_subscription": False,
        "gifts_from_channels": False,
    }
    return {**chat, "accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": gifts}


@method("getFile")
async def get_file(world: World, bot: BotState, p: Params) -> Any:
    stored = world.files.get(p.text("file_id") or "")
    if stored is None:
        raise bad_request("invalid file_id")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.data),
        "file_path": stored.file_path,
    }


def _commands_key(p: Params) -> str:
    scope = p.json("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True) + "|" + (p.text("language_code") or "")


@method("setMyCommands")
async def set_my_commands(world: World, bot: BotState, p: Params) -> Any:
    commands = p.json("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("can't parse commands JSON object")
    for command in commands:
        if not isinstance(command, dict) or not COMMAND_RE.match(str(command.get("command", ""))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", ""))) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    bot.commands[_commands_key(p)] = [
        {"command": str(c["command"]), "description": str(c["description"])} for c in commands
    ]
    return True


@method("getMyCommands")
async def get_my_commands(world: World, bot: BotState, p: Params) -> Any:
    return bot.commands.get(_commands_key(p), [])


@method("deleteMyCommands")
async def delete_my_commands(world: World, bot: BotState, p: Params) -> Any:
    bot.commands.pop(_commands_key(p), None)
    return True

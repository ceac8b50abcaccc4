"""The bot's profile and reactions: name, descriptions, menu button, setMessageReaction."""

from __future__ import annotations

from typing import Any

from tgserve.emulator._errors import bad_request
from tgserve.emulator._messages import resolve_chat
from tgserve.emulator._params import Params
from tgserve.emulator._registry import method
from tgserve.emulator._state import BotState, Event, World

_LIMITS = {"name": 64, "description": 512, "short_description": 120}
_MENU_BUTTONS = ("commands", "web_app", "default")


def _profile_methods(field: str, limit: int) -> None:
    title = "".join(part.capitalize() for part in field.split("_"))

    async def set_field(world: World, bot: BotState, p: Params) -> Any:
        value = p.text(field) or ""
        if len(value) > limit:
            raise bad_request(f"{field} is too long (at most {limit} characters)")
        key = f"{field}|{p.text('language_code') or ''}"
        if value:
            bot.profile[key] = value
        else:
            bot.profile.pop(key, None)
        if field == "name" and not p.text("language_code"):
            bot.first_name = value or bot.first_name
        return True

    async def get_field(world: World, bot: BotState, p: Params) -> Any:
        key = f"{field}|{p.text('language_code') or ''}"
        default = bot.first_name if field == "name" else ""
        return {field: bot.profile.get(key, bot.profile.get(f"{field}|", default))}

    method(f"setMy{title}")(set_field)
    method(f"getMy{title}")(get_field)


for _field, _limit in _LIMITS.items():
    _profile_methods(_field, _limit)


@method("setChatMenuButton")
async def set_chat_menu_button(world: World, bot: BotState, p: Params) -> Any:
    chat_id = int(resolve_chat(world, p)["id"]) if "chat_id" in p else None
    button = p.json("menu_button") or {"type": "default"}
    if not isinstance(button, dict) or button.get("type") not in _MENU_BUTTONS:
        raise bad_request("can't parse menu button: unknown type")
    if button["type"] == "web_app":
        web_app = button.get("web_app")
        if not button.get("text") or not isinstance(web_app, dict) or not web_app.get("url"):
            raise bad_request("a web_app menu button needs text and web_app.url")
    bot.menu_buttons[chat_id] = dict(button)
    return True


@method("getChatMenuButton")
async def get_chat_menu_button(world: World, bot: BotState, p: Params) -> Any:
    chat_id = int(resolve_chat(world, p)["id"]) if "chat_id" in p else None
    button = bot.menu_buttons.get(chat_id) or bot.menu_buttons.get(None)
    if button is None or button["type"] == "default":
        return {"type": "commands"}
    return button


@method("setMessageReaction")
async def set_message_reaction(world: World, bot: BotState, p: Params) -> Any:
    chat = resolve_chat(world, p)
    message = world.conversation(bot.id, chat["id"]).messages.get(p.integer("message_id") or 0)
    if message is None or message.deleted:
        raise bad_request("message to react not found")
    given = p.json("reaction") or []
    if not isinstance(given, list) or len(given) > 1:
        raise bad_request("REACTIONS_TOO_MANY: a bot sets at most one reaction")
    for reaction in given:
        if not isinstance(reaction, dict) or reaction.get("type") not in (
            "emoji",
            "custom_emoji",
            "paid",
        ):
            raise bad_request("REACTION_INVALID")
    if given:
        message.reactions["bot"] = [dict(r) for r in given]
    else:
        message.reactions.pop("bot", None)
    world.record(
        Event("reaction", bot.id, chat["id"], message, {"by": "bot", "is_big": p.flag("is_big")})
    )
    return True

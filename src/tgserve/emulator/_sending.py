"""Bot API methods that send more than text: media, albums, places, contacts and dice."""

from __future__ import annotations

import secrets
from typing import Any

from tgserve.emulator._errors import bad_request
from tgserve.emulator._media import DICE, media_object, upload
from tgserve.emulator._messages import (
    caption_content,
    find_own,
    formatted,
    post,
    replace_content,
    resolve_chat,
)
from tgserve.emulator._params import Params
from tgserve.emulator._registry import method
from tgserve.emulator._state import JSON, BotState, World

MEDIA_KINDS = ("photo", "video", "audio", "document", "animation", "voice", "video_note")


def _media_method(kind: str) -> None:
    async def send(world: World, bot: BotState, p: Params) -> Any:
        chat = resolve_chat(world, p)
        stored = upload(world, p, kind, kind)
        content = {**media_object(stored, kind, p), **caption_content(p)}
        return post(world, bot, chat, p, content).raw

    name = "send" + "".join(part.capitalize() for part in kind.split("_"))
    method(name)(send)


for _kind in ("video", "audio", "animation", "voice", "video_note", "sticker"):
    _media_method(_kind)


def _input_media(world: World, p: Params, item: Any) -> JSON:
    """The content of one InputMedia object (sendMediaGroup, editMessageMedia)."""
    if not isinstance(item, dict) or item.get("type") not in MEDIA_KINDS:
        raise bad_request("can't parse InputMedia: unknown type")
    kind = str(item["type"])
    values = {**p.values, "_media": item.get("media"), **{k: v for k, v in item.items()}}
    values["caption"] = item.get("caption")
    values["caption_entities"] = item.get("caption_entities")
    values["parse_mode"] = item.get("parse_mode")
    inner = Params(values)
    stored = upload(world, inner, "_media", kind)
    content = media_object(stored, kind, inner)
    caption, entities = formatted(inner, "caption", "caption_entities")
    if caption:
        content["caption"] = caption
        if entities:
            content["caption_entities"] = entities
    return content


@method("sendMediaGroup")
async def send_media_group(world: World, bot: BotState, p: Params) -> Any:
    chat = resolve_chat(world, p)
    items = p.json("media")
    if not isinstance(items, list) or not 2 <= len(items) <= 10:
        raise bad_request("wrong number of media in the album: 2-10 are allowed")
    contents = [_input_media(world, p, item) for item in items]
    group_id = str(secrets.randbelow(10**17) + 10**17)
    bare = Params({k: v for k, v in p.values.items() if k != "reply_markup"})
    return [post(world, bot, chat, bare, {**c, "media_group_id": group_id}).raw for c in contents]


@method("editMessageMedia")
async def edit_message_media(world: World, bot: BotState, p: Params) -> Any:
    message = find_own(world, bot, p, "edit")
    if not any(kind in message.raw for kind in (*MEDIA_KINDS, "sticker")):
        raise bad_request("there is no media in the message to edit")
    content = _input_media(world, p, p.json("media"))
    fields = (*MEDIA_KINDS, "caption", "caption_entities")
    return replace_content(world, message, p, fields, content)


def location(p: Params) -> JSON:
    try:
        latitude, longitude = float(p.text("latitude") or ""), float(p.text("longitude") or "")
    except ValueError:
        raise bad_request("wrong latitude or longitude") from None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise bad_request("wrong latitude or longitude")
    found: JSON = {"latitude": latitude, "longitude": longitude}
    for field in ("horizontal_accuracy", "live_period", "heading"):
        if field in p:
            found[field] = p.integer(field) if field != "horizontal_accuracy" else p.raw(field)
    return found


@method("sendLocation")
async def send_location(world: World, bot: BotState, p: Params) -> Any:
    chat = resolve_chat(world, p)
    return post(world, bot, chat, p, {"location": location(p)}).raw


@method("sendVenue")
async def send_venue(world: World, bot: BotState, p: Params) -> Any:
    chat = resolve_chat(world, p)
    title, address = p.text("title") or "", p.text("address") or ""
    if not title or not address:
        raise bad_request("venue title and address must be non-empty")
    venue: JSON = {"location": location(p), "title": title, "address": address}
    for field in ("foursquare_id", "foursquare_type", "google_place_id", "google_place_type"):
        if field in p:
            venue[field] = p.text(field)
    return post(world, bot, chat, p, {"venue": venue, "location": venue["location"]}).raw


@method("sendContact")
async def send_contact(world: World, bot: BotState, p: Params) -> Any:
    chat = resolve_chat(world, p)
    phone, first = p.text("phone_number") or "", p.text("first_name") or ""
    if not phone or not first:
        raise bad_request("phone number and first name must be non-empty")
    contact: JSON = {"phone_number": phone, "first_name": first}
    for field in ("last_name", "vcard"):
        if field in p:
            contact[field] = p.text(field)
    return post(world, bot, chat, p, {"contact": contact}).raw


def roll(emoji: str | None) -> JSON:
    """A dice of `emoji` (default the die) with a random value in its range."""
    face = emoji or "🎲"
    if face not in DICE:
        raise bad_request("wrong emoji for the dice")
    return {"emoji": face, "value": 1 + secrets.randbelow(DICE[face])}


@method("sendDice")
async def send_dice(world: World, bot: BotState, p: Params) -> Any:
    chat = resolve_chat(world, p)
    return post(world, bot, chat, p, {"dice": roll(p.text("emoji"))}).raw

"""Inline mode and Web App queries: users type ``@bot query`` and pick a result.

answerInlineQuery stores the bot's results on the query; a user's choice posts the
result's message (``via_bot``) and sends ``chosen_inline_result``. answerWebAppQuery
posts its result the same way, in the chat the Web App was opened from.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from tgserve.emulator._actions import check_member, user_message
from tgserve.emulator._errors import bad_request
from tgserve.emulator._formatting import apply_parse_mode
from tgserve.emulator._params import Params
from tgserve.emulator._registry import method
from tgserve.emulator._state import JSON, BotState, CallbackRecord, Event, Message, World

_QUERY_EXPIRED = "query is too old and response timeout expired or query ID is invalid"


def _query_id() -> str:
    return str(secrets.randbelow(10**18) + 10**18)


def inline_query(
    world: World, bot: BotState, user_id: int, query: str, offset: str = ""
) -> CallbackRecord:
    """The user types ``@bot query``; the bot gets an ``inline_query``."""
    user = world.user(user_id)
    if len(query) > 256:
        raise ValueError("an inline query has at most 256 characters")
    record = CallbackRecord(_query_id(), bot.id, user_id, user_id, kind="inline_query")
    record.payload = {
        "id": record.id,
        "from": dict(user),
        "query": query,
        "offset": offset,
        "chat_type": "sender",
    }
    world.callbacks[record.id] = record
    world.push_update(bot, "inline_query", record.payload, ("inline", user_id))
    return record


def _answered(world: World, bot: BotState, p: Params, field: str, kind: str) -> CallbackRecord:
    record = world.callbacks.get(p.text(field) or "")
    if record is None or record.bot_id != bot.id or record.kind != kind:
        raise bad_request(_QUERY_EXPIRED)
    if kind != "web_app_query" and record.answer is not None:
        raise bad_request(_QUERY_EXPIRED)
    return record


def _check_result(result: Any) -> JSON:
    if not isinstance(result, dict) or not result.get("type") or not result.get("id"):
        raise bad_request("can't parse inline query result: type and id are required")
    if len(str(result["id"]).encode()) > 64:
        raise bad_request("RESULT_ID_INVALID")
    return result


@method("answerInlineQuery")
async def answer_inline_query(world: World, bot: BotState, p: Params) -> Any:
    record = _answered(world, bot, p, "inline_query_id", "inline_query")
    results = p.json("results")
    if not isinstance(results, list) or len(results) > 50:
        raise bad_request("can't parse inline query results: at most 50 are allowed")
    checked = [_check_result(r) for r in results]
    if len({str(r["id"]) for r in checked}) != len(checked):
        raise bad_request("RESULT_ID_DUPLICATE")
    record.answer = {
        "results": checked,
        "cache_time": p.integer("cache_time", 300),
        "is_personal": p.flag("is_personal"),
        "next_offset": p.text("next_offset") or "",
        "button": p.json("button"),
    }
    record.signal.fire()
    data = {"inline_query_id": record.id, **record.answer}
    world.record(Event("inline_answer", bot.id, record.chat_id, None, data))
    return True


def result_content(result: JSON) -> JSON:
    """The message a chosen inline result (or Web App result) puts in the chat."""
    inner = result.get("input_message_content")
    if isinstance(inner, dict) and "message_text" in inner:
        text, entities = apply_parse_mode(str(inner["message_text"]), inner.get("parse_mode"))
        content: JSON = {"text": text}
        if inner.get("entities") or entities:
            content["entities"] = inner.get("entities") or entities
        return content
    if isinstance(inner, dict) and "latitude" in inner:
        return {"location": {"latitude": inner["latitude"], "longitude": inner["longitude"]}}
    if isinstance(inner, dict) and "phone_number" in inner:
        return {"contact": {k: inner[k] for k in ("phone_number", "first_name") if k in inner}}
    for kind in ("photo", "gif", "video", "audio", "voice", "document", "sticker"):
        ref = result.get(f"{kind}_file_id") or result.get(f"{kind}_url")
        if ref:
            caption = {"caption": result["caption"]} if result.get("caption") else {}
            return {"text": f"[{kind}] {ref}"} if not caption else {"text": caption["caption"]}
    title = result.get("title") or result.get("id")
    return {"text": str(title)}


def choose(
    world: World, bot: BotState, user_id: int, record: CallbackRecord, result_id: str
) -> Message:
    """The user picks result `result_id` of an answered inline query, in their chat."""
    if record.kind != "inline_query" or record.answer is None:
        raise LookupError("the bot has not answered this inline query")
    results = {str(r["id"]): r for r in record.answer["results"]}
    result = results.get(result_id)
    if result is None:
        raise LookupError(f"no result {result_id!r}; results: {list(results)}")
    check_member(world, user_id, user_id)
    content = {**result_content(result), "via_bot": bot.user()}
    markup = result.get("reply_markup")
    message = user_message(world, bot, user_id, user_id, content)
    if isinstance(markup, dict):
        message.markup = markup
        message.raw["reply_markup"] = markup
    chosen: JSON = {
        "result_id": result_id,
        "from": dict(world.user(user_id)),
        "query": record.payload.get("query", ""),
    }
    world.push_update(bot, "chosen_inline_result", chosen, ("inline", user_id))
    return message


def open_web_app(world: World, bot: BotState, user_id: int) -> CallbackRecord:
    """The user opens the bot's Web App; its ``query_id`` lets the bot answer once."""
    world.user(user_id)
    record = CallbackRecord(_query_id(), bot.id, user_id, user_id, kind="web_app_query")
    world.callbacks[record.id] = record
    return record


@method("answerWebAppQuery")
async def answer_web_app_query(world: World, bot: BotState, p: Params) -> Any:
    record = _answered(world, bot, p, "web_app_query_id", "web_app_query")
    if record.answer is not None:
        raise bad_request(_QUERY_EXPIRED)
    result = _check_result(p.json("result"))
    inline_message_id = secrets.token_urlsafe(18)
    record.answer = {"result": result, "inline_message_id": inline_message_id}
    record.signal.fire()
    content = {**result_content(result), "via_bot": bot.user(), "date": int(time.time())}
    user_message(world, bot, record.user_id, record.chat_id, content, deliver=False)
    return {"inline_message_id": inline_message_id}

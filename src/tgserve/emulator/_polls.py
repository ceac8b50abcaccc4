"""Polls and quizzes: sendPoll and stopPoll for bots; users create polls and vote."""

from __future__ import annotations

import copy
import secrets
from typing import Any

from tgserve.emulator._actions import check_member, user_message
from tgserve.emulator._errors import bad_request
from tgserve.emulator._messages import find_own, formatted, post, resolve_chat
from tgserve.emulator._params import Params
from tgserve.emulator._registry import method
from tgserve.emulator._state import JSON, BotState, Event, Message, PollRecord, World


def _options(raw: Any) -> list[JSON]:
    if not isinstance(raw, list) or not 2 <= len(raw) <= 12:
        raise bad_request("poll must have 2-12 options")
    options = []
    for option in raw:
        text = option.get("text") if isinstance(option, dict) else option
        if not isinstance(text, str) or not 1 <= len(text) <= 100:
            raise bad_request("poll options length must be 1-100 characters")
        options.append(_option(text))
    return options


def _option(text: str) -> JSON:
    return {"persistent_id": secrets.token_hex(8), "text": text, "voter_count": 0}


def new_poll(
    question: str,
    options: list[JSON],
    *,
    kind: str = "regular",
    anonymous: bool = True,
    multiple: bool = False,
    correct: int | list[int] | None = None,
    explanation: str | None = None,
) -> JSON:
    """A Poll object; raises ValueError on a bad quiz."""
    if not 1 <= len(question) <= 300:
        raise ValueError("poll question length must be 1-300 characters")
    if kind not in ("regular", "quiz"):
        raise ValueError("poll type must be regular or quiz")
    poll: JSON = {
        "id": str(secrets.randbelow(10**18) + 10**18),
        "question": question,
        "options": options,
        "total_voter_count": 0,
        "is_closed": False,
        "is_anonymous": anonymous,
        "type": kind,
        "allows_multiple_answers": multiple and kind == "regular",
        "allows_revoting": kind == "regular",
        "members_only": False,
    }
    if kind == "quiz":
        right = [correct] if isinstance(correct, int) else list(correct or [])
        if not right or not all(0 <= i < len(options) for i in right):
            raise ValueError("quiz poll must have a correct option")
        poll["correct_option_ids"] = right
        if explanation:
            poll["explanation"] = explanation
    return poll


@method("sendPoll")
async def send_poll(world: World, bot: BotState, p: Params) -> Any:
    chat = resolve_chat(world, p)
    question, entities = formatted(p, "question", "question_entities", "question_parse_mode")
    try:
        poll = new_poll(
            question,
            _options(p.json("options")),
            kind=p.text("type") or "regular",
            anonymous=p.flag("is_anonymous", True),
            multiple=p.flag("allows_multiple_answers"),
            correct=p.json("correct_option_ids") or p.integer("correct_option_id"),
            explanation=p.text("explanation"),
        )
    except ValueError as exc:
        raise bad_request(str(exc).upper().replace(" ", "_")) from None
    if entities:
        poll["question_entities"] = entities
    if p.flag("is_closed"):
        poll["is_closed"] = True
    for field in ("open_period", "close_date"):
        if field in p:
            poll[field] = p.integer(field)
    message = post(world, bot, chat, p, {"poll": poll})
    world.polls[poll["id"]] = PollRecord(poll, bot.id, chat["id"], message.id)
    return message.raw


@method("stopPoll")
async def stop_poll(world: World, bot: BotState, p: Params) -> Any:
    message = find_own(world, bot, p, "edit")
    poll = message.raw.get("poll")
    if not isinstance(poll, dict):
        raise bad_request("message with poll to stop not found")
    if poll["is_closed"]:
        raise bad_request("poll has already been closed")
    poll["is_closed"] = True
    world.record(Event("edit", bot.id, message.chat_id, message))
    world.push_update(bot, "poll", copy.deepcopy(poll), ("poll", poll["id"]))
    return copy.deepcopy(poll)


def user_poll(
    world: World,
    bot: BotState,
    user_id: int,
    chat_id: int,
    question: str,
    options: list[str],
    **settings: Any,
) -> Message:
    """A user sends a poll of their own (as via a ``request_poll`` keyboard button)."""
    poll = new_poll(question, [_option(o) for o in options], **settings)
    message = user_message(world, bot, user_id, chat_id, {"poll": poll})
    world.polls[poll["id"]] = PollRecord(poll, bot.id, chat_id, message.id)
    return message


def vote(world: World, user_id: int, message: Message, option_ids: list[int]) -> JSON:
    """The user votes (an empty list retracts); the bot gets ``poll_answer`` and ``poll``."""
    poll = message.raw.get("poll")
    record = world.polls.get(str(poll.get("id"))) if isinstance(poll, dict) else None
    if record is None or poll is None:
        raise LookupError(f"message {message.id} carries no poll")
    user, _ = check_member(world, user_id, message.chat_id)
    if poll["is_closed"]:
        raise LookupError("the poll is closed")
    chosen = sorted(set(option_ids))
    if any(not 0 <= i < len(poll["options"]) for i in chosen):
        raise LookupError(f"the poll has options 0..{len(poll['options']) - 1}")
    if len(chosen) > 1 and not poll["allows_multiple_answers"]:
        raise LookupError("the poll allows one answer")
    previous = record.votes.get(user_id)
    if previous is not None and not poll["allows_revoting"]:
        raise LookupError("this poll's answer cannot be changed")
    for i in previous or []:
        poll["options"][i]["voter_count"] -= 1
    for i in chosen:
        poll["options"][i]["voter_count"] += 1
    if chosen:
        record.votes[user_id] = chosen
    else:
        record.votes.pop(user_id, None)
    poll["total_voter_count"] = len(record.votes)
    bot = world.bot_by_id(record.bot_id)
    if bot is None:
        raise LookupError("the poll's bot is gone")
    world.record(Event("vote", bot.id, message.chat_id, message, {"user_id": user_id}))
    answer: JSON = {
        "poll_id": poll["id"],
        "user": dict(user),
        "option_ids": chosen,
        "option_persistent_ids": [poll["options"][i]["persistent_id"] for i in chosen],
    }
    if not poll["is_anonymous"]:
        world.push_update(bot, "poll_answer", answer, ("poll", poll["id"]))
    world.push_update(bot, "poll", copy.deepcopy(poll), ("poll", poll["id"]))
    return answer

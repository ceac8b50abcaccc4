"""Control-API routes for what users do beyond text, files and presses.

Each is ``POST /_emulator/<action>`` with a JSON body naming ``user_id`` and, where it
applies, ``chat_id`` (default: the user's private chat), ``message_id`` and ``bot_id``
(default: the first bot). Bad input answers 400 with a one-line ``error``.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tgserve.emulator import _actions as actions
from tgserve.emulator import _inline as inline
from tgserve.emulator import _membership as membership
from tgserve.emulator import _payments as payments
from tgserve.emulator import _polls as polls
from tgserve.emulator._control import _bot, _error, _world, same_origin
from tgserve.emulator._fields import Fields, read_json
from tgserve.emulator._state import JSON, BotState, Message, World


class Call(Fields):
    """One action request: its body's typed fields and the world."""

    def __init__(self, world: World, body: JSON) -> None:
        super().__init__(body)
        self.world = world

    def bot(self) -> BotState:
        return _bot(self.world, self)

    @property
    def user_id(self) -> int:
        return self.integer("user_id")

    @property
    def chat_id(self) -> int:
        return self.integer("chat_id", self.user_id)

    def message(self, bot: BotState) -> Message:
        conv = self.world.conversation(bot.id, self.chat_id)
        found = conv.messages.get(self.integer("message_id"))
        if found is None or found.deleted:
            raise LookupError(f"no message {self.integer('message_id')} in chat {self.chat_id}")
        return found


Action = Callable[[Call], Awaitable[JSON]]


def _message(message: Message) -> JSON:
    return {"message": message.public()}


async def send_location(c: Call) -> JSON:
    lat, lon = c.number("latitude"), c.number("longitude")
    return _message(actions.send_location(c.world, c.bot(), c.user_id, c.chat_id, lat, lon))


async def send_venue(c: Call) -> JSON:
    message = actions.send_venue(
        c.world,
        c.bot(),
        c.user_id,
        c.chat_id,
        c.number("latitude"),
        c.number("longitude"),
        c.text("title"),
        c.text("address"),
    )
    return _message(message)


async def send_contact(c: Call) -> JSON:
    message = actions.send_contact(
        c.world,
        c.bot(),
        c.user_id,
        c.chat_id,
        c.text("phone_number"),
        c.text("first_name"),
        c.optional_text("last_name"),
        c.optional_integer("contact_user_id"),
    )
    return _message(message)


async def send_dice(c: Call) -> JSON:
    emoji = c.text("emoji", "🎲")
    return _message(actions.send_dice(c.world, c.bot(), c.user_id, c.chat_id, emoji))


async def send_poll(c: Call) -> JSON:
    message = polls.user_poll(
        c.world,
        c.bot(),
        c.user_id,
        c.chat_id,
        c.text("question"),
        c.texts("options"),
        kind=c.text("type", "regular"),
        anonymous=c.flag("is_anonymous", True),
        multiple=c.flag("allows_multiple_answers", False),
        correct=c.optional_integer("correct_option_id"),
    )
    return _message(message)


async def vote(c: Call) -> JSON:
    chosen = c.integers("option_ids", [])
    answer = polls.vote(c.world, c.user_id, c.message(c.bot()), chosen)
    return {"poll_answer": answer}


async def edit(c: Call) -> JSON:
    bot = c.bot()
    return _message(actions.edit_text(c.world, bot, c.user_id, c.message(bot), c.text("text")))


async def react(c: Call) -> JSON:
    bot = c.bot()
    one = c.raw("emoji")
    emoji = [one] if isinstance(one, str) else c.texts("emoji", [])
    update = actions.react(c.world, bot, c.user_id, c.message(bot), emoji)
    return {"message_reaction": update}


async def inline_query(c: Call) -> JSON:
    record = inline.inline_query(c.world, c.bot(), c.user_id, c.text("query", ""))
    return {"inline_query_id": record.id}


def _inline_record(c: Call) -> Any:
    record = c.world.callbacks.get(c.text("inline_query_id"))
    if record is None or record.kind != "inline_query":
        raise LookupError("unknown inline_query_id")
    return record


async def inline_results(c: Call) -> JSON:
    """Wait (``timeout`` s, default 5) for the bot's answer to an inline query."""
    record = _inline_record(c)
    deadline = time.monotonic() + min(max(c.number("timeout", 5.0), 0.0), 30.0)
    while record.answer is None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the bot did not answer the inline query")
        await record.signal.wait(remaining)
    return {"answer": record.answer}


async def choose_inline_result(c: Call) -> JSON:
    record = _inline_record(c)
    bot = c.world.bot_by_id(record.bot_id)
    if bot is None:
        raise LookupError("the query's bot is gone")
    return _message(inline.choose(c.world, bot, c.user_id, record, c.text("result_id")))


async def pay(c: Call) -> JSON:
    bot = c.bot()
    message = await payments.pay(c.world, bot, c.user_id, c.message(bot), tip=c.integer("tip", 0))
    return _message(message)


async def web_app_data(c: Call) -> JSON:
    message = actions.send_web_app_data(
        c.world, c.bot(), c.user_id, c.text("data"), c.text("button_text", "Open")
    )
    return _message(message)


async def open_web_app(c: Call) -> JSON:
    return {"query_id": inline.open_web_app(c.world, c.bot(), c.user_id).id}


def _bot_status(change: str) -> Action:
    """add, remove (in a group, by a member), block, unblock (in the user's private chat)."""

    async def act(c: Call) -> JSON:
        if change == "add":
            status, chat_id = ("administrator" if c.flag("admin", False) else "member"), c.chat_id
        elif change == "remove":
            status, chat_id = "kicked", c.integer("chat_id")
        else:
            status, chat_id = ("kicked" if change == "block" else "member"), c.user_id
        update = membership.set_bot_status(c.world, c.bot(), chat_id, c.user_id, status)
        return {"my_chat_member": update}

    return act


async def join(c: Call) -> JSON:
    return {"chat_member": membership.join(c.world, c.bot(), c.integer("chat_id"), c.user_id)}


async def leave(c: Call) -> JSON:
    return {"chat_member": membership.leave(c.world, c.bot(), c.integer("chat_id"), c.user_id)}


async def open_invite_link(c: Call) -> JSON:
    found = membership.use_invite_link(c.world, c.bot(), c.text("link"), c.user_id)
    return {"result": found}


ACTIONS: dict[str, Action] = {
    "send_location": send_location,
    "send_venue": send_venue,
    "send_contact": send_contact,
    "send_dice": send_dice,
    "send_poll": send_poll,
    "vote": vote,
    "edit": edit,
    "react": react,
    "inline_query": inline_query,
    "inline_results": inline_results,
    "choose_inline_result": choose_inline_result,
    "pay": pay,
    "web_app_data": web_app_data,
    "open_web_app": open_web_app,
    "add_bot": _bot_status("add"),
    "remove_bot": _bot_status("remove"),
    "block_bot": _bot_status("block"),
    "unblock_bot": _bot_status("unblock"),
    "join": join,
    "leave": leave,
    "open_invite_link": open_invite_link,
}


def _endpoint(action: Action) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        call = Call(_world(request), await read_json(request))
        try:
            result = await action(call)
        except payments.PaymentRefused as refused:
            return _error(400, f"the bot refused the payment: {refused}")
        return JSONResponse({"ok": True, **result})

    return endpoint


def routes() -> list[BaseRoute]:
    return [
        Route(f"/_emulator/{name}", same_origin(_endpoint(action)), methods=["POST"])
        for name, action in ACTIONS.items()
    ]

"""The HTTP control API under /_emulator: drive users and read chats without Python."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from tgserve.emulator import _actions as actions
from tgserve.emulator._credentials import fresh_token, is_token
from tgserve.emulator._errors import ApiError
from tgserve.emulator._fields import BadInput, Fields, read_json
from tgserve.emulator._state import JSON, BotState, Event, World

log = logging.getLogger("tgserve.emulator")
FILE_KINDS = ("photo", "document", "video", "animation", "audio", "voice", "sticker")


def _world(request: Request) -> World:
    world: World = request.app.state.world
    return world


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"ok": False, "error": message}, status_code=status)


async def _body(request: Request) -> Fields:
    return Fields(await read_json(request))


def _bot(world: World, fields: Fields) -> BotState:
    """The bot named by ``bot_id`` (default: the first bot)."""
    bot_id = fields.optional_integer("bot_id")
    if bot_id is None:
        if not world.bots:
            raise LookupError("no bot yet: register one with POST /_emulator/bots")
        return next(iter(world.bots.values()))
    bot = world.bot_by_id(bot_id)
    if bot is None:
        raise LookupError(f"unknown bot {bot_id}")
    return bot


def _public_bot(bot: BotState) -> JSON:
    return {
        **bot.user(),
        "webhook": bot.webhook.url if bot.webhook else None,
        "pending_update_count": len(bot.updates),
    }


async def state(request: Request) -> Response:
    world = _world(request)
    conversations = [
        {"bot_id": b, "chat_id": c, "messages": len(conv.messages)}
        for (b, c), conv in world.conversations.items()
    ]
    return JSONResponse(
        {
            "ok": True,
            "bots": [_public_bot(b) for b in world.bots.values()],
            "users": list(world.users.values()),
            "chats": list(world.chats.values()),
            "members": {str(k): v for k, v in world.members.items()},
            "bot_status": [
                {"bot_id": b, "chat_id": c, "status": m["status"]}
                for (b, c), m in world.bot_status.items()
            ],
            "conversations": conversations,
        }
    )


async def runtime(request: Request) -> Response:
    """The bot's own ``GET {path}`` info (tgserve's counts), read from its webhook URL."""
    import httpx

    try:
        bot = _bot(_world(request), Fields(request.query_params))
    except LookupError as exc:
        return _error(404, str(exc))
    if bot.webhook is None:
        return JSONResponse({"ok": True, "runtime": None, "why": "no webhook set"})
    try:
        async with httpx.AsyncClient(timeout=2.0, trust_env=False) as client:
            answer = (await client.get(bot.webhook.url)).json()
    except (httpx.HTTPError, ValueError):
        return JSONResponse({"ok": True, "runtime": None, "why": "the webhook did not answer"})
    info = answer if isinstance(answer, dict) and "counts" in answer else None
    return JSONResponse({"ok": True, "runtime": info, "why": None if info else "not tgserve"})


async def add_bot(request: Request) -> Response:
    world, body = _world(request), await _body(request)
    token = body.optional_text("token") or fresh_token()
    if not is_token(token):
        return _error(400, "not a bot token")
    bot = world.add_bot(token, body.optional_text("first_name"), body.optional_text("username"))
    return JSONResponse({"ok": True, "bot": _public_bot(bot), "token": token})


async def add_user(request: Request) -> Response:
    world, body = _world(request), await _body(request)
    name = body.text("first_name").strip()
    if not name:
        return _error(400, "first_name is required")
    return JSONResponse({"ok": True, "user": world.add_user(name, body.optional_text("username"))})


async def add_group(request: Request) -> Response:
    world, body = _world(request), await _body(request)
    title = body.text("title").strip()
    if not title:
        return _error(400, "title is required")
    members = list(dict.fromkeys(body.integers("member_ids", [])))
    unknown = [str(m) for m in members if m not in world.users]
    if unknown:
        return _error(400, f"unknown member_ids: {', '.join(unknown)}")
    return JSONResponse({"ok": True, "chat": world.add_group(title, members)})


async def messages(request: Request) -> Response:
    world, query = _world(request), Fields(request.query_params)
    bot, chat_id = _bot(world, query), query.integer("chat_id")
    conv = world.conversation(bot.id, chat_id)
    return JSONResponse({"ok": True, "messages": [m.public() for m in conv.messages.values()]})


async def send(request: Request) -> Response:
    world, body = _world(request), await _body(request)
    bot, user_id = _bot(world, body), body.integer("user_id")
    chat_id, reply_to = body.integer("chat_id", user_id), body.optional_integer("reply_to")
    message = actions.send_text(world, bot, user_id, chat_id, body.text("text", ""), reply_to)
    return JSONResponse({"ok": True, "message": message.public()})


async def send_file(request: Request) -> Response:
    world = _world(request)
    async with request.form(max_files=1) as form:
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            return _error(400, "a file part named 'file' is required")
        data, fields = await upload.read(), Fields(form)
        bot, user_id = _bot(world, fields), fields.integer("user_id")
        chat_id, kind = fields.integer("chat_id", user_id), fields.text("kind", "photo")
        if kind not in FILE_KINDS:
            raise BadInput(f"kind is one of {', '.join(FILE_KINDS)}")
        message = actions.send_file(
            world,
            bot,
            user_id,
            chat_id,
            data,
            kind=kind,
            filename=upload.filename or "file",
            caption=fields.optional_text("caption"),
            mime_type=upload.content_type or None,
        )
    return JSONResponse({"ok": True, "message": message.public()})


async def press(request: Request) -> Response:
    world, body = _world(request), await _body(request)
    bot, chat_id, user_id = _bot(world, body), body.integer("chat_id"), body.integer("user_id")
    message_id = body.integer("message_id")
    message = world.conversation(bot.id, chat_id).messages.get(message_id)
    if message is None:
        raise LookupError(f"no message {message_id} in chat {chat_id}")
    data = body.optional_text("data")
    if data is None:
        if not body.given("text"):
            raise BadInput("data or text is required")
        data = actions.find_button(message, body.text("text"))
    record = actions.press(world, bot, user_id, message, data)
    return JSONResponse({"ok": True, "callback_query_id": record.id})


async def file(request: Request) -> Response:
    stored = _world(request).files.get(request.path_params["file_id"])
    if stored is None:
        return _error(404, "no such file")
    return Response(stored.data, media_type=stored.mime_type)


async def events(request: Request) -> Response:
    """Server-sent events: every change in every conversation, as JSON."""
    world = _world(request)
    queue: list[Event] = []
    world.listeners.append(queue.append)

    async def stream() -> AsyncIterator[str]:
        try:
            yield "retry: 1000\n\n"
            while not world.closed:
                while queue:
                    yield f"data: {json.dumps(queue.pop(0).public())}\n\n"
                await world.signal.wait(15.0)
                if not queue:
                    yield ": keep-alive\n\n"
        finally:
            world.listeners.remove(queue.append)

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"cache-control": "no-store"}
    )


async def faults(request: Request) -> Response:
    world = _world(request)
    if request.method == "DELETE":
        world.faults.clear()
        return JSONResponse({"ok": True})
    body = await _body(request)
    times = body.integer("times", 1)
    if times < 1:
        raise BadInput("times must be 1 or more")
    if body.flag("webhook_timeout", False):
        world.faults.time_out_webhooks(times)
        return JSONResponse({"ok": True})
    method, drop = body.text("method"), body.flag("drop", False)
    status, after = body.integer("status", 500), body.optional_integer("retry_after")
    description = body.optional_text("description")
    if not 400 <= status <= 599:
        raise BadInput("status must be an error status, 400..599")
    if after is not None and after < 0:
        raise BadInput("retry_after must be 0 or more")
    if drop:
        world.faults.drop(method, times)
    else:
        world.faults.fail(method, times, status, description=description, retry_after=after)
    return JSONResponse({"ok": True})


async def flood(request: Request) -> Response:
    """GET: the 429s answered; POST ``{"enabled", "figures": {...}, "reset"}`` changes them."""
    world = _world(request)
    if request.method == "POST":
        body = await _body(request)
        enabled, reset = body.flag("enabled", world.flood.enabled), body.flag("reset", False)
        given = body.mapping("figures")
        figures = {name: given.number(name) for name in given.values}
        world.flood.configure(**figures)  # checks the names and values before it changes any
        if reset:
            world.flood.reset()
        world.flood.enabled = enabled
    return JSONResponse({"ok": True, **world.flood.public()})


async def blocks(request: Request) -> Response:
    """POST ``{"user_id", "bot_id"?, "blocked": true}``: the user blocks (or unblocks) the bot."""
    world, body = _world(request), await _body(request)
    bot, user_id = _bot(world, body), body.integer("user_id")
    if body.flag("blocked", True):
        world.blocks.block(bot.id, user_id)
    else:
        world.blocks.unblock(bot.id, user_id)
    return JSONResponse({"ok": True})


Endpoint = Callable[[Request], Awaitable[Response]]


def _line(error: Exception) -> str:
    """An error's text on one line (a KeyError's without its quotes)."""
    text = str(error.args[0]) if isinstance(error, KeyError) and error.args else str(error)
    return " ".join(text.split()) or type(error).__name__


def answering(endpoint: Endpoint) -> Endpoint:
    """Every control route's errors, in one place: bad input is a one-line 400."""

    async def answer(request: Request) -> Response:
        try:
            return await endpoint(request)
        except HTTPException as error:  # e.g. a malformed multipart body
            return _error(error.status_code, str(error.detail).splitlines()[0])
        except (ValueError, LookupError, ApiError) as error:  # BadInput is a ValueError
            return _error(400, _line(error))
        except TimeoutError as error:
            return _error(504, str(error) or "timed out")
        except Exception:  # a bug: a one-line answer, the traceback in the log only
            log.exception("control API %s %s failed", request.method, request.url.path)
            return _error(500, "the emulator failed on this request (its log has the traceback)")

    return answer


def same_origin(endpoint: Endpoint) -> Endpoint:
    """Refuse changes requested by another site's page (a browser sends its Origin)."""
    answer = answering(endpoint)

    async def guarded(request: Request) -> Response:
        origin = request.headers.get("origin")
        if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
            return _error(403, "cross-origin requests are refused")
        if request.method == "POST" and not request.headers.get("content-type", "").startswith(
            ("application/json", "multipart/form-data")
        ):
            return _error(415, "send JSON (or multipart for files)")
        return await answer(request)

    return guarded


def routes() -> list[BaseRoute]:
    return [
        Route("/_emulator/state", answering(state)),
        Route("/_emulator/runtime", answering(runtime)),
        Route("/_emulator/bots", same_origin(add_bot), methods=["POST"]),
        Route("/_emulator/users", same_origin(add_user), methods=["POST"]),
        Route("/_emulator/groups", same_origin(add_group), methods=["POST"]),
        Route("/_emulator/messages", answering(messages)),
        Route("/_emulator/send", same_origin(send), methods=["POST"]),
        Route("/_emulator/send_file", same_origin(send_file), methods=["POST"]),
        Route("/_emulator/press", same_origin(press), methods=["POST"]),
        Route("/_emulator/files/{file_id}", answering(file)),
        Route("/_emulator/events", events),
        Route("/_emulator/faults", same_origin(faults), methods=["POST", "DELETE"]),
        Route("/_emulator/flood", same_origin(flood), methods=["GET", "POST"]),
        Route("/_emulator/blocks", same_origin(blocks), methods=["POST"]),
    ]

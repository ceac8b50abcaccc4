"""The HTTP control API under /_emulator: drive users and read chats without Python."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from tgserve.emulator import _actions as actions
from tgserve.emulator._credentials import fresh_token, is_token
from tgserve.emulator._state import JSON, BotState, Event, World

FILE_KINDS = ("photo", "document", "video", "animation", "audio", "voice", "sticker")


def _world(request: Request) -> World:
    world: World = request.app.state.world
    return world


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"ok": False, "error": message}, status_code=status)


async def _body(request: Request) -> JSON:
    try:
        data = await request.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _bot(world: World, value: Any) -> BotState:
    if value in (None, ""):
        if not world.bots:
            raise LookupError("no bot yet: register one with POST /_emulator/bots")
        return next(iter(world.bots.values()))
    bot = world.bot_by_id(int(value))
    if bot is None:
        raise LookupError(f"unknown bot {value}")
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
        bot = _bot(_world(request), request.query_params.get("bot_id"))
    except (LookupError, ValueError) as exc:
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
    token = str(body.get("token") or fresh_token())
    if not is_token(token):
        return _error(400, "not a bot token")
    bot = world.add_bot(token, body.get("first_name"), body.get("username"))
    return JSONResponse({"ok": True, "bot": _public_bot(bot), "token": token})


async def add_user(request: Request) -> Response:
    world, body = _world(request), await _body(request)
    name = str(body.get("first_name") or "").strip()
    if not name:
        return _error(400, "first_name is required")
    return JSONResponse({"ok": True, "user": world.add_user(name, body.get("username"))})


async def add_group(request: Request) -> Response:
    world, body = _world(request), await _body(request)
    members = [int(m) for m in body.get("member_ids", []) if int(m) in world.users]
    title = str(body.get("title") or "").strip()
    if not title:
        return _error(400, "title is required")
    return JSONResponse({"ok": True, "chat": world.add_group(title, members)})


async def messages(request: Request) -> Response:
    world = _world(request)
    try:
        bot = _bot(world, request.query_params.get("bot_id"))
        chat_id = int(request.query_params["chat_id"])
    except (LookupError, ValueError) as error:
        return _error(400, str(error))
    conv = world.conversation(bot.id, chat_id)
    return JSONResponse({"ok": True, "messages": [m.public() for m in conv.messages.values()]})


async def send(request: Request) -> Response:
    world, body = _world(request), await _body(request)
    try:
        bot = _bot(world, body.get("bot_id"))
        user_id = int(body["user_id"])
        chat_id = int(body.get("chat_id") or user_id)
        reply_to = int(body["reply_to"]) if body.get("reply_to") else None
        message = actions.send_text(
            world, bot, user_id, chat_id, str(body.get("text", "")), reply_to
        )
    except (LookupError, ValueError, TypeError) as error:
        return _error(400, str(error))
    return JSONResponse({"ok": True, "message": message.public()})


async def send_file(request: Request) -> Response:
    world = _world(request)
    async with request.form(max_files=1) as form:
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            return _error(400, "a file part named 'file' is required")
        data = await upload.read()
        try:
            bot = _bot(world, form.get("bot_id"))
            user_id = int(str(form.get("user_id")))
            chat_id = int(str(form.get("chat_id") or user_id))
            kind = str(form.get("kind") or "photo")
            if kind not in FILE_KINDS:
                raise ValueError(f"kind is one of {', '.join(FILE_KINDS)}")
            caption = form.get("caption")
            message = actions.send_file(
                world,
                bot,
                user_id,
                chat_id,
                data,
                kind=kind,
                filename=upload.filename or "file",
                caption=str(caption) if caption else None,
                mime_type=upload.content_type or None,
            )
        except (LookupError, ValueError) as error:
            return _error(400, str(error))
    return JSONResponse({"ok": True, "message": message.public()})


async def press(request: Request) -> Response:
    world, body = _world(request), await _body(request)
    try:
        bot = _bot(world, body.get("bot_id"))
        chat_id, user_id = int(body["chat_id"]), int(body["user_id"])
        message = world.conversation(bot.id, chat_id).messages[int(body["message_id"])]
        data = body.get("data")
        if data is None:
            data = actions.find_button(message, str(body.get("text")))
        record = actions.press(world, bot, user_id, message, str(data))
    except (LookupError, ValueError, TypeError) as error:
        return _error(400, str(error))
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
    try:
        times = int(body.get("times", 1))
        if body.get("webhook_timeout"):
            world.faults.time_out_webhooks(times)
        elif body.get("drop"):
            world.faults.drop(str(body["method"]), times)
        else:
            after = body.get("retry_after")
            world.faults.fail(
                str(body["method"]),
                times,
                int(body.get("status", 500)),
                description=body.get("description"),
                retry_after=int(after) if after is not None else None,
            )
    except (KeyError, ValueError, TypeError) as error:
        return _error(400, f"bad fault: {error}")
    return JSONResponse({"ok": True})


async def flood(request: Request) -> Response:
    """GET: the 429s answered; POST ``{"enabled", "figures": {...}, "reset"}`` changes them."""
    world = _world(request)
    if request.method == "POST":
        body = await _body(request)
        try:
            world.flood.configure(**dict(body.get("figures") or {}))
        except (TypeError, ValueError) as error:
            return _error(400, f"bad flood figures: {error}")
        if body.get("reset"):
            world.flood.reset()
        world.flood.enabled = bool(body.get("enabled", world.flood.enabled))
    return JSONResponse({"ok": True, **world.flood.public()})


async def blocks(request: Request) -> Response:
    """POST ``{"user_id", "bot_id"?, "blocked": true}``: the user blocks (or unblocks) the bot."""
    world, body = _world(request), await _body(request)
    try:
        bot = _bot(world, body.get("bot_id"))
        user_id = int(body["user_id"])
    except (LookupError, ValueError, TypeError) as error:
        return _error(400, str(error))
    if body.get("blocked", True):
        world.blocks.block(bot.id, user_id)
    else:
        world.blocks.unblock(bot.id, user_id)
    return JSONResponse({"ok": True})


Endpoint = Callable[[Request], Awaitable[Response]]


def same_origin(endpoint: Endpoint) -> Endpoint:
    """Refuse changes requested by another site's page (a browser sends its Origin)."""

    async def guarded(request: Request) -> Response:
        origin = request.headers.get("origin")
        if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
            return _error(403, "cross-origin requests are refused")
        if request.method == "POST" and not request.headers.get("content-type", "").startswith(
            ("application/json", "multipart/form-data")
        ):
            return _error(415, "send JSON (or multipart for files)")
        return await endpoint(request)

    return guarded


def routes() -> list[BaseRoute]:
    return [
        Route("/_emulator/state", state),
        Route("/_emulator/runtime", runtime),
        Route("/_emulator/bots", same_origin(add_bot), methods=["POST"]),
        Route("/_emulator/users", same_origin(add_user), methods=["POST"]),
        Route("/_emulator/groups", same_origin(add_group), methods=["POST"]),
        Route("/_emulator/messages", messages),
        Route("/_emulator/send", same_origin(send), methods=["POST"]),
        Route("/_emulator/send_file", same_origin(send_file), methods=["POST"]),
        Route("/_emulator/press", same_origin(press), methods=["POST"]),
        Route("/_emulator/files/{file_id}", file),
        Route("/_emulator/events", events),
        Route("/_emulator/faults", same_origin(faults), methods=["POST", "DELETE"]),
        Route("/_emulator/flood", same_origin(flood), methods=["GET", "POST"]),
        Route("/_emulator/blocks", same_origin(blocks), methods=["POST"]),
    ]

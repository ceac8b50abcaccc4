"""The emulator's Starlette app: Bot API, file downloads, control API and the chat page."""

from __future__ import annotations

import logging
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tgserve._redact import redact
from tgserve.emulator._api import invoke, status_of
from tgserve.emulator._control import routes as control_routes
from tgserve.emulator._control_actions import routes as action_routes
from tgserve.emulator._credentials import is_token
from tgserve.emulator._delivery import WebhookPusher
from tgserve.emulator._errors import ApiError, Dropped, unauthorized
from tgserve.emulator._params import read_params
from tgserve.emulator._state import BotState, World

log = logging.getLogger("tgserve.emulator.access")


class DroppedResponse(Response):
    """Starts an answer and closes the connection before its body: a dropped connection."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"64")]}
        )
        await send({"type": "http.response.body", "body": b"", "more_body": True})


def _world(request: Request) -> World:
    world: World = request.app.state.world
    return world


async def bot_api(request: Request) -> Response:
    world = _world(request)
    token = request.path_params["token"]
    bot = world.bot_for(token) if is_token(token) else None
    try:
        if bot is None:
            raise unauthorized()
        values = await read_params(request)
    except ApiError as error:
        return JSONResponse(error.payload(), status_code=error.code)
    try:
        payload = await invoke(world, bot, request.path_params["method"], values)
    except Dropped:
        return DroppedResponse()
    return JSONResponse(payload, status_code=status_of(payload))


async def download(request: Request) -> Response:
    world = _world(request)
    token = request.path_params["token"]
    bot = world.bot_for(token) if is_token(token) else None
    if bot is None:
        return JSONResponse(unauthorized().payload(), status_code=401)
    stored = world.file_by_path(request.path_params["path"])
    if stored is None:
        return JSONResponse({"ok": False, "error_code": 404, "description": "Not Found"}, 404)
    return Response(stored.data, media_type=stored.mime_type)


STATIC = resources.files("tgserve.emulator") / "static"  # a directory: StaticFiles needs one too
PAGE_HEADERS = {
    "content-security-policy": "default-src 'self'; img-src 'self' data:; "
    "style-src 'self'; script-src 'self'; connect-src 'self'"
}


async def favicon(request: Request) -> Response:
    return FileResponse(str(STATIC / "favicon.ico"), media_type="image/x-icon")


async def page(request: Request) -> Response:
    return FileResponse(str(STATIC / "chat.html"), media_type="text/html", headers=PAGE_HEADERS)


class AccessLog:
    """Logs each request with bot tokens redacted (use instead of uvicorn's access log)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 0

        async def record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            client = scope.get("client") or ("-", 0)
            log.info('%s "%s %s" %s', client[0], scope["method"], redact(scope["path"]), status)


async def not_found(request: Request, exc: Exception) -> Response:
    """Telegram's JSON 404 for every unknown path."""
    return JSONResponse({"ok": False, "error_code": 404, "description": "Not Found"}, 404)


def _pusher(world: World, bot: BotState) -> WebhookPusher:
    return WebhookPusher(world, bot, invoke)


def create_app(world: World) -> Any:
    """The emulator as an ASGI app around `world` (which then delivers webhooks)."""
    world.pusher_factory = _pusher
    routes = [
        Route("/favicon.ico", favicon),
        Route("/bot{token}/{method}", bot_api, methods=["GET", "POST"]),
        Route("/file/bot{token}/{path:path}", download),
        *control_routes(),
        *action_routes(),
        Route("/", page),
        Mount("/static", StaticFiles(packages=[("tgserve.emulator", "static")]), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={404: not_found})
    app.state.world = world
    return AccessLog(app)

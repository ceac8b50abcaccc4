"""One Bot API call: faults, flood control, the method, and the answer payload."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from tgserve.emulator.errors import ApiError, bad_request, not_found
from tgserve.emulator.methods import METHODS, Described
from tgserve.emulator.params import Params, Upload
from tgserve.emulator.state import JSON, BotState, World


class Dropped(Exception):
    """The call's connection is to be closed without an answer (an injected fault)."""


async def read_params(request: Request) -> dict[str, Any]:
    """Parameters from the query string and a JSON, form or multipart body."""
    values: dict[str, Any] = dict(request.query_params)
    if request.method != "POST":
        return values
    ctype = request.headers.get("content-type", "").lower()
    if ctype.startswith("application/json"):
        body = await request.body()
        if body.strip():
            try:
                data = json.loads(body)
            except ValueError:
                raise bad_request("can't parse JSON object") from None
            if not isinstance(data, dict):
                raise bad_request("can't parse JSON object")
            values.update(data)
    elif ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        try:
            async with request.form(max_files=50, max_fields=1000) as form:
                for key, value in form.multi_items():
                    if isinstance(value, UploadFile):
                        data = await value.read()
                        ctype_part = value.content_type or "application/octet-stream"
                        values[key] = Upload(value.filename or key, ctype_part, data)
                    else:
                        values[key] = value
        except (MultiPartException, HTTPException):
            raise bad_request("can't parse the request body") from None
    return values


async def invoke(world: World, bot: BotState, name: str, values: Mapping[str, Any]) -> JSON:
    """Run method `name`; return Telegram's answer payload. Raises Dropped."""
    try:
        func = METHODS.get(name.lower())
        if func is None:
            raise not_found()
        fault = world.faults.take(name)
        if fault is not None:
            if fault.drop:
                raise Dropped(name)
            raise fault.error()
        params = Params(values)
        if (world.flood.enabled or world.blocks.pairs) and "chat_id" in params:
            chat = world.chat(params.chat_id())
            is_group = chat is not None and chat.get("type") != "private"
            chat_id = int(chat["id"]) if chat is not None else None
            if chat_id is not None:
                world.blocks.check(bot.id, chat_id)
            paid = params.flag("allow_paid_broadcast")
            world.flood.check(bot.id, name, chat_id, is_group, paid)
        result = await func(world, bot, params)
    except ApiError as error:
        return error.payload()
    if isinstance(result, Described):
        return {"ok": True, "result": result.result, "description": result.description}
    return {"ok": True, "result": result}


def status_of(payload: JSON) -> int:
    return 200 if payload.get("ok") else int(payload.get("error_code", 500))

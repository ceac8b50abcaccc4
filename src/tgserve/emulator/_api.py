"""One Bot API call: faults, flood control, the method, and the answer payload."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tgserve.emulator import (  # noqa: F401  (each registers its methods)
    _inline,
    _membership,
    _methods,
    _payments,
    _polls,
    _profile,
    _relaying,
    _sending,
)
from tgserve.emulator._errors import ApiError, Dropped, bad_request, not_found
from tgserve.emulator._params import Params
from tgserve.emulator._registry import METHODS, Described
from tgserve.emulator._state import JSON, BotState, World

__all__ = ["Dropped", "invoke", "status_of"]


async def invoke(world: World, bot: BotState, name: str, values: Mapping[str, Any]) -> JSON:
    """Run method `name`; return Telegram's answer payload. Raises Dropped."""
    try:
        func = METHODS.get(name.lower())
        if func is None:
            raise not_found(name)
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
        try:
            result = await func(world, bot, params)
        except (ValueError, TypeError) as exc:  # a parameter of the wrong shape deep inside
            raise bad_request(f"can't parse parameters ({type(exc).__name__})") from None
    except ApiError as error:
        return error.payload()
    if isinstance(result, Described):
        return {"ok": True, "result": result.result, "description": result.description}
    return {"ok": True, "result": result}


def status_of(payload: JSON) -> int:
    return 200 if payload.get("ok") else int(payload.get("error_code", 500))

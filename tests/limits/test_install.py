"""Installed with no configuration: PTB gets a BaseRateLimiter (either request class),
unless it has its own, which is kept (said once at start); aiogram a session middleware;
``limits="off"`` installs nothing. The counts show in ``GET {path}`` and ``/metrics``."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from tgserve._bots.ptb_request import AiohttpRequest
from tgserve.emulator import Emulator
from tgserve.limits._aiogram import GovernorMiddleware
from tgserve.limits._ptb import GovernorRateLimiter

pytestmark = pytest.mark.timeout(60)


def ptb_app(tg: Emulator, **build: Any) -> Any:
    from telegram.ext import ApplicationBuilder, BaseRateLimiter

    class Mine(BaseRateLimiter[None]):
        async def initialize(self) -> None: ...

        async def shutdown(self) -> None: ...

        async def process_request(
            self,
            callback: Any,
            args: Any,
            kwargs: Any,
            endpoint: str,
            data: Any,
            rate_limit_args: None,
        ) -> Any:
            return await callback(*args, **kwargs)

    builder = ApplicationBuilder().token(tg.token).base_url(f"{tg.api_url}/bot").updater(None)
    if build.get("own"):
        builder = builder.rate_limiter(Mine())
    if build.get("aiohttp"):
        builder = builder.request(AiohttpRequest())
    return builder.build()


@pytest.mark.parametrize("variant", ["httpx", "aiohttp", "own", "off"])
async def test_ptb_gets_the_governor_unless_it_has_a_limiter(
    variant: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with Emulator() as tg:
        app = ptb_app(tg, own=variant == "own", aiohttp=variant == "aiohttp")
        options = {"limits": "off"} if variant == "off" else {}
        with caplog.at_level(logging.INFO, "tgserve.limits"):
            async with tg.serve(app, **options) as server:
                limiter = app.bot.rate_limiter
                async with httpx.AsyncClient(trust_env=False) as client:
                    info = (await client.get(f"{server.url}/webhook")).json()
                    metrics = (await client.get(f"{server.url}/metrics")).text
        kept = [r for r in caplog.records if "has its own rate limiter" in r.getMessage()]
        if variant in ("httpx", "aiohttp"):
            assert isinstance(limiter, GovernorRateLimiter) and not kept
            assert info["limits"]["flooded"] == 0
            assert "tgserve_limits_429_total 0.0" in metrics
        elif variant == "own":
            assert type(limiter).__name__ == "Mine" and len(kept) == 1
            assert "limits" not in info
        else:
            assert limiter is None and "limits" not in info


async def test_aiogram_gets_a_session_middleware_once() -> None:
    from tests.limits.bots import aiogram_bot

    async with Emulator() as tg:
        dp, bot = aiogram_bot(tg.token, tg.api_url)
        async with tg.serve(dp, bot=bot):
            ours = [m for m in bot.session.middleware if isinstance(m, GovernorMiddleware)]
            assert len(ours) == 1


def test_aiogram_calls_are_charged_by_their_own_fields() -> None:
    from aiogram.methods import GetMe, SendMediaGroup, SendMessage
    from aiogram.types import InputMediaPhoto

    from tgserve.limits._aiogram import call_params
    from tgserve.limits._rules import Limits, charges

    limits = Limits()
    send = SendMessage(chat_id=-100, text="hi", allow_paid_broadcast=True)
    assert call_params(send) == {"chat_id": -100, "allow_paid_broadcast": True}
    assert [c.key for c in charges(limits, "sendMessage", call_params(send))] == [
        "paid", "chat:-100", "group:-100",
    ]  # fmt: skip
    album = SendMediaGroup(
        chat_id=5, media=[InputMediaPhoto(media="a"), InputMediaPhoto(media="b")]
    )
    spent = charges(limits, "sendMediaGroup", call_params(album))
    assert spent[1].key == "chat:5"
    one = charges(limits, "sendMediaGroup", {"chat_id": 5, "media": ["a"]})
    assert spent[1].cost == 2 * one[1].cost  # each message of the album counts
    assert call_params(GetMe()) == {}
    assert charges(limits, "getMe", call_params(GetMe())) == []

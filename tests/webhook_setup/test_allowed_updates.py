"""allowed_updates derived from the bot, and the option that wins over it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import TOKEN
from tgserve._botapi import BotAPI
from tgserve._bots import adapt
from tgserve._config import Config, ConfigError
from tgserve._update_types import ALL_UPDATE_TYPES
from tgserve._webhook_setup.update_types import allowed_updates_for


async def noop(update: dict[str, Any], bot: BotAPI) -> None:
    return None


async def cb(update: Any, context: Any) -> None:
    return None


def config(**options: Any) -> Config:
    return Config.load({"token": TOKEN, **options}, env={})


def test_plain_bot_gets_every_type_and_the_option_wins() -> None:
    assert allowed_updates_for(config(), adapt(noop, config())) == ALL_UPDATE_TYPES
    assert "chat_member" in ALL_UPDATE_TYPES
    narrowed = config(allowed_updates="message, callback_query")
    assert allowed_updates_for(narrowed, adapt(noop, narrowed)) == ("message", "callback_query")
    env = Config.load({"token": TOKEN}, env={"TGSERVE_ALLOWED_UPDATES": "all"})
    assert env.allowed_updates == ALL_UPDATE_TYPES


def test_ptb_types_follow_its_handlers() -> None:
    from telegram.ext import (
        Application,
        CallbackQueryHandler,
        ChatMemberHandler,
        CommandHandler,
        ConversationHandler,
        MessageHandler,
        PollAnswerHandler,
        TypeHandler,
        filters,
    )

    app = Application.builder().token(TOKEN).build()
    app.add_handler(CommandHandler("start", cb))
    app.add_handler(CallbackQueryHandler(cb))
    app.add_handler(PollAnswerHandler(cb))
    app.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("go", cb)],
            states={1: [ChatMemberHandler(cb, ChatMemberHandler.CHAT_MEMBER)]},
            fallbacks=[MessageHandler(filters.TEXT, cb)],
        ),
        group=1,
    )
    types = allowed_updates_for(config(), adapt(app, config()))
    assert "chat_member" in types and "callback_query" in types and "poll_answer" in types
    assert "message" in types and "inline_query" not in types and "my_chat_member" not in types

    app.add_handler(TypeHandler(object, cb), group=2)  # takes any update
    assert allowed_updates_for(config(), adapt(app, config())) == ALL_UPDATE_TYPES


def test_aiogram_types_are_resolved_by_the_dispatcher() -> None:
    from aiogram import Bot, Dispatcher, Router

    dp = Dispatcher()
    router = Router()
    router.message.register(cb)
    router.chat_member.register(cb)
    dp.include_router(router)
    bot = Bot(TOKEN)
    types = allowed_updates_for(config(), adapt(dp, config(), bot=bot))
    assert set(types) == {"message", "chat_member"}


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"webhook_url": "http://bot.example.com/webhook"}, "must be https://"),
        ({"webhook_url": "ftp://x"}, "must be an https:// URL"),
        ({"allowed_updates": "mesage"}, "unknown update type(s) mesage"),
        ({"webhook_max_connections": 500}, "1-100"),
        ({"secret_token": "a,b,c"}, "one secret, or two"),
        ({"previous_secret_token": "old"}, "needs a current secret_token"),
    ],
)
def test_bad_webhook_options_are_one_line(options: dict[str, Any], words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Config.load(options, env={})
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_http_webhook_only_against_a_local_telegram() -> None:
    local = Config.load(
        {"webhook_url": "http://127.0.0.1:8000/webhook", "api_url": "http://127.0.0.1:8081"},
        env={},
    )
    assert local.webhook_url == "http://127.0.0.1:8000/webhook"

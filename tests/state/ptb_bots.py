"""PTB bots of the shapes tgserve's state must carry across processes (no tgserve code in them).

``three_step``: /start, a name, an age, counting every step in ``user_data``;
``nested``: a menu conversation with a child conversation (map_to_parent);
``buttons``: arbitrary callback data (the shape of PTB's arbitrarycallbackdatabot.py);
``timed``: a conversation with ``conversation_timeout``.
"""

from __future__ import annotations

import os
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

App = Application[Any, Any, Any, Any, Any, Any]
Ctx = ContextTypes.DEFAULT_TYPE
NAME, AGE, MENU, ITEM = range(4)
TEXT = filters.TEXT & ~filters.COMMAND


def _build(token: str, api_url: str, **kw: Any) -> App:
    builder = ApplicationBuilder().token(token).base_url(f"{api_url}/bot").updater(None)
    if kw.get("arbitrary_callback_data"):
        builder = builder.arbitrary_callback_data(True)
    return builder.build()


def _tag() -> str:
    return f" [{os.getpid()}]" if os.environ.get("STATE_TEST_PID") else ""


async def _reply(update: Update, text: str) -> None:
    assert update.message is not None
    await update.message.reply_text(text + _tag())


def three_step(token: str, api_url: str) -> App:
    async def start(update: Update, context: Ctx) -> int:
        assert context.user_data is not None
        context.user_data["steps"] = context.user_data.get("steps", 0) + 1
        await _reply(update, "name?")
        return NAME

    async def name(update: Update, context: Ctx) -> int:
        assert context.user_data is not None and update.message is not None
        context.user_data["steps"] += 1
        context.user_data["name"] = update.message.text
        await _reply(update, "age?")
        return AGE

    async def age(update: Update, context: Ctx) -> int:
        assert context.user_data is not None and update.message is not None
        data = context.user_data
        data["steps"] += 1
        context.bot_data[f"done:{update.effective_user.id if update.effective_user else 0}"] = 1
        await _reply(update, f"done {data['name']} {update.message.text} #{data['steps']}")
        return ConversationHandler.END

    app = _build(token, api_url)
    app.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("start", start)],
            states={NAME: [MessageHandler(TEXT, name)], AGE: [MessageHandler(TEXT, age)]},
            fallbacks=[],
        )
    )
    return app


def nested(token: str, api_url: str) -> App:
    async def menu(update: Update, context: Ctx) -> int:
        await _reply(update, "menu: add, list or /stop")
        return MENU

    async def add(update: Update, context: Ctx) -> int:
        await _reply(update, "item?")
        return ITEM

    async def item(update: Update, context: Ctx) -> int:
        assert context.user_data is not None and update.message is not None
        context.user_data.setdefault("items", []).append(update.message.text)
        await _reply(update, f"added {update.message.text}")
        return ConversationHandler.END

    async def listing(update: Update, context: Ctx) -> int:
        assert context.user_data is not None
        await _reply(update, "items: " + ", ".join(context.user_data.get("items", [])))
        return MENU

    async def stop(update: Update, context: Ctx) -> int:
        await _reply(update, "bye")
        return ConversationHandler.END

    child = ConversationHandler(
        entry_points=[MessageHandler(filters.Regex("^add$"), add)],
        states={ITEM: [MessageHandler(TEXT, item)]},
        fallbacks=[],
        map_to_parent={ConversationHandler.END: MENU},
    )
    app = _build(token, api_url)
    app.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("start", menu)],
            states={MENU: [child, MessageHandler(filters.Regex("^list$"), listing)]},
            fallbacks=[CommandHandler("stop", stop)],
        )
    )
    return app


def _keyboard(numbers: tuple[int, ...]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(str(i), callback_data=(i, numbers)) for i in range(1, 4)]]
    )


def buttons(token: str, api_url: str) -> App:
    async def start(update: Update, context: Ctx) -> None:
        assert update.message is not None
        await update.message.reply_text("choose", reply_markup=_keyboard(()))

    async def pressed(update: Update, context: Ctx) -> None:
        query = update.callback_query
        assert query is not None
        number, numbers = query.data  # type: ignore[misc]
        numbers = (*numbers, number)
        await query.answer()
        await query.edit_message_text(
            f"so far: {', '.join(map(str, numbers))}", reply_markup=_keyboard(numbers)
        )
        context.drop_callback_data(query)

    app = _build(token, api_url, arbitrary_callback_data=True)
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    return app


def timed(token: str, api_url: str, timeout: float) -> App:
    async def start(update: Update, context: Ctx) -> int:
        await _reply(update, "name?")
        return NAME

    async def name(update: Update, context: Ctx) -> int:
        await _reply(update, "age?")
        return AGE

    async def age(update: Update, context: Ctx) -> int:
        await _reply(update, "done")
        return ConversationHandler.END

    async def outside(update: Update, context: Ctx) -> None:
        await _reply(update, "say /start")

    async def timed_out(update: Update, context: Ctx) -> None:
        await _reply(update, "timed out")

    app = _build(token, api_url)
    app.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("start", start), MessageHandler(TEXT, outside)],
            states={
                NAME: [MessageHandler(TEXT, name)],
                AGE: [MessageHandler(TEXT, age)],
                ConversationHandler.TIMEOUT: [MessageHandler(filters.ALL, timed_out)],
            },
            fallbacks=[],
            conversation_timeout=timeout,
        )
    )
    return app


def from_env() -> App:
    """For child processes: the bot named by STATE_TEST_BOT, on the environment's token and API."""
    token, api_url = os.environ["TELEGRAM_BOT_TOKEN"], os.environ["TGSERVE_API_URL"]
    builders = {"three_step": three_step, "nested": nested, "buttons": buttons}
    return builders[os.environ.get("STATE_TEST_BOT", "three_step")](token, api_url)

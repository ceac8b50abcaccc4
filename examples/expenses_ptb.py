"""An expenses bot on python-telegram-bot, kept in SQLite.

    tgserve run examples/expenses_ptb.py        # on a local Telegram, in the browser

/add 12.50 lunch adds at once; /new asks for the amount, then the note; /expenses lists.
The token and Bot API URL come from the environment (`tgserve run` sets both).
"""

from __future__ import annotations

import os
import sqlite3
from decimal import Decimal, InvalidOperation
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

AMOUNT, NOTE = range(2)


class Ledger:
    """Expenses per user in one SQLite file."""

    def __init__(self, path: str) -> None:
        self.db = sqlite3.connect(path, check_same_thread=False)
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS expense (user_id INTEGER, cents INTEGER, note TEXT)"
        )

    def add(self, user_id: int, amount: Decimal, note: str) -> None:
        with self.db:
            self.db.execute(
                "INSERT INTO expense VALUES (?, ?, ?)", (user_id, int(amount * 100), note)
            )

    def list(self, user_id: int) -> list[tuple[Decimal, str]]:
        rows = self.db.execute(
            "SELECT cents, note FROM expense WHERE user_id = ? ORDER BY rowid", (user_id,)
        )
        return [(Decimal(cents).scaleb(-2), note) for cents, note in rows]


def parse_amount(text: str) -> Decimal | None:
    try:
        amount = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None
    return amount if amount > 0 and amount == amount.quantize(Decimal("0.01")) else None


def ledger(context: ContextTypes.DEFAULT_TYPE) -> Ledger:
    found: Ledger = context.application.bot_data["ledger"]
    return found


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    await update.message.reply_text(
        "Hi! I keep your expenses.\n/add 12.50 lunch - add one\n"
        "/new - add one step by step\n/expenses - list them"
    )


async def add(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.effective_user is not None
    args = context.args or []
    amount = parse_amount(args[0]) if args else None
    if amount is None:
        await update.message.reply_text("Usage: /add AMOUNT NOTE, e.g. /add 12.50 lunch")
        return
    note = " ".join(args[1:]) or "-"
    ledger(context).add(update.effective_user.id, amount, note)
    await update.message.reply_text(f"Added {amount} ({note}).")


async def expenses(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.effective_user is not None
    rows = ledger(context).list(update.effective_user.id)
    if not rows:
        await update.message.reply_text("No expenses yet. /add 12.50 lunch")
        return
    lines = [f"{amount} {note}" for amount, note in rows]
    total = sum((amount for amount, _ in rows), Decimal(0))
    await update.message.reply_text("\n".join([*lines, f"Total: {total}"]))


async def new(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    assert update.message is not None
    await update.message.reply_text("How much? (/cancel to stop)")
    return AMOUNT


async def got_amount(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    assert update.message is not None and update.message.text is not None
    amount = parse_amount(update.message.text)
    if amount is None:
        await update.message.reply_text("That is not an amount. How much, e.g. 4.20?")
        return AMOUNT
    assert context.user_data is not None
    context.user_data["amount"] = amount
    await update.message.reply_text("What for?")
    return NOTE


async def got_note(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    assert update.message is not None and update.effective_user is not None
    assert context.user_data is not None
    amount: Decimal = context.user_data.pop("amount")
    note = update.message.text or "-"
    ledger(context).add(update.effective_user.id, amount, note)
    await update.message.reply_text(f"Saved {amount} ({note}).")
    return ConversationHandler.END


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    assert update.message is not None
    await update.message.reply_text("Cancelled.")
    return ConversationHandler.END


def build(token: str, api_url: str, db_path: str) -> Application[Any, Any, Any, Any, Any, Any]:
    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{api_url}/bot")
        .base_file_url(f"{api_url}/file/bot")
        .updater(None)
        .build()
    )
    app.bot_data["ledger"] = Ledger(db_path)
    text = filters.TEXT & ~filters.COMMAND
    app.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("new", new)],
            states={
                AMOUNT: [MessageHandler(text, got_amount)],
                NOTE: [MessageHandler(text, got_note)],
            },
            fallbacks=[CommandHandler("cancel", cancel)],
        )
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("add", add))
    app.add_handler(CommandHandler("expenses", expenses))
    return app


def _from_env() -> Application[Any, Any, Any, Any, Any, Any]:
    token = os.environ.get("TELEGRAM_BOT_TOKEN")
    if not token:
        raise RuntimeError("set TELEGRAM_BOT_TOKEN, or run on a local Telegram: tgserve run ...")
    api_url = os.environ.get("TGSERVE_API_URL", "https://api.telegram.org")
    return build(token, api_url, os.environ.get("EXPENSES_DB", "expenses.sqlite3"))


application = _from_env()

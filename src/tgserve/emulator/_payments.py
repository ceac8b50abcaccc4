"""Invoices and payments, Telegram Stars (``XTR``) first.

Bots send invoices, answer shipping and pre-checkout queries and refund Stars; a user
pays an invoice, which runs Telegram's checkout: ``shipping_query`` (flexible prices),
``pre_checkout_query``, then a ``successful_payment`` message.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from tgserve.emulator._actions import check_member, user_message
from tgserve.emulator._errors import bad_request
from tgserve.emulator._messages import post, resolve_chat
from tgserve.emulator._params import Params
from tgserve.emulator._registry import method
from tgserve.emulator._state import JSON, BotState, CallbackRecord, Charge, Message, World

STARS = "XTR"
CHECKOUT_TIMEOUT = 10.0  # Telegram cancels a checkout the bot does not answer in 10 s
_QUERY_EXPIRED = "query is too old and response timeout expired or query ID is invalid"


class PaymentRefused(Exception):
    """The bot answered a shipping or pre-checkout query with ok=False (its message)."""


def _invoice(p: Params) -> JSON:
    """The invoice a bot describes (sendInvoice, createInvoiceLink), checked as Telegram does."""
    title, description = p.text("title") or "", p.text("description") or ""
    payload, currency = p.text("payload") or "", (p.text("currency") or "").upper()
    if not 1 <= len(title) <= 32:
        raise bad_request("invoice title length must be 1-32 characters")
    if not 1 <= len(description) <= 255:
        raise bad_request("invoice description length must be 1-255 characters")
    if not 1 <= len(payload.encode()) <= 128:
        raise bad_request("invoice payload length must be 1-128 bytes")
    if len(currency) != 3:
        raise bad_request("CURRENCY_INVALID")
    provider = p.text("provider_token") or ""
    if currency == STARS and provider:
        raise bad_request("provider_token must be empty for payments in Telegram Stars")
    if currency != STARS and not provider:
        raise bad_request("PAYMENT_PROVIDER_INVALID")
    prices = p.json("prices")
    if not isinstance(prices, list) or not prices:
        raise bad_request("prices must be a non-empty list of LabeledPrice")
    if currency == STARS and len(prices) != 1:
        raise bad_request("exactly one price is allowed for payments in Telegram Stars")
    checked: list[JSON] = []
    for price in prices:
        if not isinstance(price, dict) or not isinstance(price.get("amount"), int):
            raise bad_request("can't parse prices JSON object")
        checked.append({"label": str(price.get("label", "")), "amount": int(price["amount"])})
    total = sum(int(price["amount"]) for price in checked)
    if total <= 0:
        raise bad_request("CURRENCY_TOTAL_AMOUNT_INVALID")
    flags = ("need_name", "need_phone_number", "need_email", "need_shipping_address")
    return {
        "title": title,
        "description": description,
        "payload": payload,
        "currency": currency,
        "prices": checked,
        "total_amount": total,
        "start_parameter": p.text("start_parameter") or "",
        "is_flexible": p.flag("is_flexible") and currency != STARS,
        "max_tip_amount": p.integer("max_tip_amount", 0) or 0,
        **{flag: p.flag(flag) for flag in flags},
    }


@method("sendInvoice")
async def send_invoice(world: World, bot: BotState, p: Params) -> Any:
    chat = resolve_chat(world, p)
    invoice = _invoice(p)
    shown = {k: invoice[k] for k in ("title", "description", "start_parameter", "currency")}
    shown["total_amount"] = invoice["total_amount"]
    message = post(world, bot, chat, p, {"invoice": shown})
    world.invoices[(bot.id, chat["id"], message.id)] = invoice
    return message.raw


@method("createInvoiceLink")
async def create_invoice_link(world: World, bot: BotState, p: Params) -> Any:
    _invoice(p)
    return "https://t.me/$" + secrets.token_urlsafe(16)


def _query(world: World, bot: BotState, p: Params, field: str, kind: str) -> CallbackRecord:
    record = world.callbacks.get(p.text(field) or "")
    if record is None or record.bot_id != bot.id or record.kind != kind or record.answer:
        raise bad_request(_QUERY_EXPIRED)
    return record


@method("answerShippingQuery")
async def answer_shipping_query(world: World, bot: BotState, p: Params) -> Any:
    record = _query(world, bot, p, "shipping_query_id", "shipping_query")
    ok = p.flag("ok")
    options = p.json("shipping_options")
    if ok and (not isinstance(options, list) or not options):
        raise bad_request("SHIPPING_OPTIONS_EMPTY: shipping_options are required when ok is true")
    if not ok and not p.text("error_message"):
        raise bad_request("error_message is required when ok is false")
    error = p.text("error_message")
    record.answer = {"ok": ok, "shipping_options": options, "error_message": error}
    record.signal.fire()
    return True


@method("answerPreCheckoutQuery")
async def answer_pre_checkout_query(world: World, bot: BotState, p: Params) -> Any:
    record = _query(world, bot, p, "pre_checkout_query_id", "pre_checkout_query")
    ok = p.flag("ok")
    if not ok and not p.text("error_message"):
        raise bad_request("error_message is required when ok is false")
    record.answer = {"ok": ok, "error_message": p.text("error_message")}
    record.signal.fire()
    return True


@method("refundStarPayment")
async def refund_star_payment(world: World, bot: BotState, p: Params) -> Any:
    charge = world.charges.get(p.text("telegram_payment_charge_id") or "")
    if charge is None or charge.bot_id != bot.id or charge.user_id != p.integer("user_id"):
        raise bad_request("CHARGE_NOT_FOUND")
    if charge.currency != STARS:
        raise bad_request("only payments in Telegram Stars can be refunded with this method")
    if charge.refunded:
        raise bad_request("CHARGE_ALREADY_REFUNDED")
    charge.refunded = True
    refund = {
        "currency": charge.currency,
        "total_amount": charge.total_amount,
        "invoice_payload": charge.payload,
        "telegram_payment_charge_id": charge.id,
    }
    user_message(world, bot, charge.user_id, charge.user_id, {"refunded_payment": refund})
    return True


async def _ask(
    world: World, bot: BotState, user_id: int, chat_id: int, kind: str, body: JSON
) -> JSON:
    """Send a checkout query of `kind` and wait for the bot's answer (ok or refused)."""
    record = CallbackRecord(str(secrets.randbelow(10**18) + 10**18), bot.id, chat_id, user_id)
    record.kind = kind
    world.callbacks[record.id] = record
    world.push_update(bot, kind, {"id": record.id, **body}, chat_id)
    deadline = time.monotonic() + CHECKOUT_TIMEOUT  # not time-scaled: the bot's own pace
    while record.answer is None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"the bot did not answer the {kind} within {CHECKOUT_TIMEOUT} s")
        await record.signal.wait(remaining)
    if not record.answer["ok"]:
        raise PaymentRefused(str(record.answer.get("error_message") or "refused"))
    return record.answer


async def pay(
    world: World,
    bot: BotState,
    user_id: int,
    message: Message,
    *,
    tip: int = 0,
    shipping_address: JSON | None = None,
    order_info: JSON | None = None,
) -> Message:
    """The user pays the invoice in `message`; returns the ``successful_payment`` message.

    Raises PaymentRefused when the bot refuses, TimeoutError when it does not answer.
    """
    invoice = world.invoices.get((bot.id, message.chat_id, message.id))
    if invoice is None:
        raise LookupError(f"message {message.id} carries no invoice of this bot")
    user, _ = check_member(world, user_id, message.chat_id)
    if not 0 <= tip <= invoice["max_tip_amount"]:
        raise ValueError(f"the tip must be within 0..{invoice['max_tip_amount']}")
    total, chosen = invoice["total_amount"] + tip, None
    payload = invoice["payload"]
    if invoice["is_flexible"]:
        address = shipping_address or {
            "country_code": "US",
            "state": "",
            "city": "Springfield",
            "street_line1": "742 Evergreen Terrace",
            "street_line2": "",
            "post_code": "49007",
        }
        body = {"from": dict(user), "invoice_payload": payload, "shipping_address": address}
        answer = await _ask(world, bot, user_id, message.chat_id, "shipping_query", body)
        chosen = answer["shipping_options"][0]
        total += sum(int(price["amount"]) for price in chosen.get("prices", []))
    checkout: JSON = {
        "from": dict(user),
        "currency": invoice["currency"],
        "total_amount": total,
        "invoice_payload": payload,
    }
    if chosen is not None:
        checkout["shipping_option_id"] = str(chosen["id"])
    if order_info:
        checkout["order_info"] = order_info
    await _ask(world, bot, user_id, message.chat_id, "pre_checkout_query", checkout)
    charge = Charge(
        "stxt" + secrets.token_hex(16), bot.id, user_id, invoice["currency"], total, payload
    )
    world.charges[charge.id] = charge
    paid: JSON = {
        "currency": charge.currency,
        "total_amount": total,
        "invoice_payload": payload,
        "telegram_payment_charge_id": charge.id,
        "provider_payment_charge_id": "" if charge.currency == STARS else secrets.token_hex(8),
    }
    for field in ("shipping_option_id", "order_info"):
        if field in checkout:
            paid[field] = checkout[field]
    return user_message(world, bot, user_id, message.chat_id, {"successful_payment": paid})

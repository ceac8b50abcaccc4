"""Telegram's send limits as budgets, and which budgets each Bot API call spends."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

# methods that post a message into a chat, and the edits Telegram counts like them
SENDS = frozenset(
    m.lower()
    for m in [
        "sendMessage",
        "sendPhoto",
        "sendAudio",
        "sendDocument",
        "sendVideo",
        "sendAnimation",
        "sendVoice",
        "sendVideoNote",
        "sendPaidMedia",
        "sendMediaGroup",
        "sendLocation",
        "sendVenue",
        "sendContact",
        "sendPoll",
        "sendChecklist",
        "sendDice",
        "sendSticker",
        "sendInvoice",
        "sendGame",
        "forwardMessage",
        "forwardMessages",
        "copyMessage",
        "copyMessages",
        "stopPoll",
    ]
)
EDITS = frozenset(
    m.lower()
    for m in [
        "editMessageText",
        "editMessageCaption",
        "editMessageMedia",
        "editMessageReplyMarkup",
        "editMessageLiveLocation",
        "stopMessageLiveLocation",
        "editMessageChecklist",
    ]
)
FIELDS = ("bot", "chat", "group", "paid", "wait")
PACE = 0.95  # the bot-wide budgets go at 95% of their figure


class LimitsError(ValueError):
    """A limits setting tgserve refuses; the message is one line naming the rule."""


@dataclasses.dataclass(frozen=True, slots=True)
class Limits:
    """Budgets per bot: ``bot`` messages/s overall, ``chat`` messages/s per chat (short
    bursts of ``chat_burst``), ``group`` messages/min per group, ``paid`` messages/s with
    ``allow_paid_broadcast``; a reply waits at most ``wait`` s for its budget."""

    bot: float = 30.0
    chat: float = 1.0
    group: float = 20.0
    paid: float = 1000.0
    wait: float = 60.0
    chat_burst: int = 2
    group_burst: int = 3

    def __post_init__(self) -> None:
        for name in FIELDS:
            value = getattr(self, name)
            if not isinstance(value, int | float) or not value > 0:
                raise LimitsError(f"limits: {name} must be a number above 0, got {value!r}")


@dataclasses.dataclass(frozen=True, slots=True)
class Charge:
    """One budget a call spends: its key, the time one call takes of it (``cost``), and
    how far ahead of its pace it may run (``tolerance``, the burst)."""

    key: str
    cost: float
    tolerance: float


def parse(value: Any) -> Limits | None:
    """``limits`` as given: ``"off"``, ``"bot=30,chat=1,group=20,paid=1000,wait=60"``
    (any subset), a mapping of those, or a :class:`Limits`. ``None``: switched off."""
    if value is None or isinstance(value, Limits):
        return value
    if value is False or (isinstance(value, str) and value.strip().lower() in ("off", "0", "no")):
        return None
    if value is True or (isinstance(value, str) and value.strip().lower() in ("", "on", "auto")):
        return Limits()
    if isinstance(value, str):
        items: dict[str, Any] = {}
        for part in (p for p in re.split(r"[\s,]+", value) if p):
            name, sep, number = part.partition("=")
            if not sep:
                raise LimitsError(f"limits: {part!r} is not name=number (e.g. bot=30,chat=1)")
            items[name.strip()] = number.strip()
        value = items
    if not isinstance(value, Mapping):
        raise LimitsError(f"limits must be 'off' or like 'bot=30,chat=1', got {value!r}")
    unknown = sorted(set(value) - set(FIELDS))
    if unknown:
        raise LimitsError(
            f"limits: unknown name(s) {', '.join(unknown)}; known: {', '.join(FIELDS)}"
        )
    numbers: dict[str, float] = {}
    for name, raw in value.items():
        try:
            numbers[name] = float(raw)
        except (TypeError, ValueError):
            raise LimitsError(f"limits: {name} must be a number, got {raw!r}") from None
    return Limits(**numbers)  # type: ignore[arg-type]


def charges(limits: Limits, method: str, params: Mapping[str, Any]) -> list[Charge]:
    """The budgets a call spends; none for calls Telegram does not limit (getMe, answers)."""
    name = method.lower()
    if name not in SENDS and name not in EDITS:
        return []
    count = _count(name, params)
    paid = name in SENDS and bool(params.get("allow_paid_broadcast"))
    pace = count / PACE  # the bot-wide budgets keep a margin for the network's jitter
    out = [
        Charge("paid", pace / limits.paid, 0.0) if paid else Charge("bot", pace / limits.bot, 0.0)
    ]
    chat = params.get("chat_id")
    if chat is None or chat == "":
        return out  # an inline message's edit: the bot's budget only
    per_chat = 1.0 / limits.chat
    out.append(Charge(f"chat:{chat}", count * per_chat, (limits.chat_burst - 1) * per_chat))
    if _is_group(chat):
        per_group = 60.0 / limits.group
        out.append(Charge(f"group:{chat}", count * per_group, (limits.group_burst - 1) * per_group))
    return out


def _count(name: str, params: Mapping[str, Any]) -> int:
    """Messages a call posts: an album or a batch forward counts each of its messages."""
    for field in ("media", "message_ids"):
        items = (
            params.get(field)
            if name in ("sendmediagroup", "forwardmessages", "copymessages")
            else None
        )
        if isinstance(items, list | tuple) and items:
            return len(items)
    return 1


def _is_group(chat: Any) -> bool:
    """Group, supergroup and channel ids are negative; ``@name`` is a public channel or group."""
    if isinstance(chat, int):
        return chat < 0
    text = str(chat)
    return text.startswith(("-", "@"))

"""A local Telegram: Bot API emulator, webhook delivery, simulated users, a browser chat."""

from tgserve.emulator._chatview import ChatView
from tgserve.emulator._emulator import Emulator
from tgserve.emulator._errors import ApiError
from tgserve.emulator._payments import PaymentRefused
from tgserve.emulator._server import create_app
from tgserve.emulator._state import Event, Message, World
from tgserve.emulator._users import CallbackQuery, Group, InlineQuery, User

__all__ = [
    "ApiError",
    "CallbackQuery",
    "ChatView",
    "Emulator",
    "Event",
    "Group",
    "InlineQuery",
    "Message",
    "PaymentRefused",
    "User",
    "World",
    "create_app",
]

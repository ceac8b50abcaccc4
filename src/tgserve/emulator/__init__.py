"""A local Telegram: Bot API emulator, webhook delivery, simulated users, a browser chat."""

from tgserve.emulator.chatview import ChatView
from tgserve.emulator.emulator import Emulator
from tgserve.emulator.errors import ApiError
from tgserve.emulator.payments import PaymentRefused
from tgserve.emulator.server import create_app
from tgserve.emulator.state import Event, Message, World
from tgserve.emulator.users import CallbackQuery, Group, InlineQuery, User

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

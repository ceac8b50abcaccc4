"""A local Telegram: Bot API emulator, webhook delivery, simulated users, a browser chat."""

from tgserve.emulator.chatview import ChatView
from tgserve.emulator.emulator import Emulator
from tgserve.emulator.errors import ApiError
from tgserve.emulator.server import create_app
from tgserve.emulator.state import Event, Message, World
from tgserve.emulator.users import CallbackQuery, Group, User

__all__ = [
    "ApiError",
    "CallbackQuery",
    "ChatView",
    "Emulator",
    "Event",
    "Group",
    "Message",
    "User",
    "World",
    "create_app",
]

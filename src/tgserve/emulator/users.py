"""Simulated people in the Python test API: users, groups and their button presses."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

from tgserve.emulator import actions
from tgserve.emulator.chatview import ChatView
from tgserve.emulator.state import JSON, BotState, CallbackRecord, Message, World


class Host(Protocol):
    """What users need of the emulator that hosts them (emulator.Emulator)."""

    world: World

    def bot(self, token: str | None = None) -> BotState: ...


class CallbackQuery:
    """A button press; `await answered()` gives the bot's answerCallbackQuery."""

    def __init__(self, record: CallbackRecord) -> None:
        self._record = record
        self.id = record.id

    @property
    def answer(self) -> JSON | None:
        return self._record.answer

    async def answered(self, timeout: float = 5.0) -> JSON:
        deadline = time.monotonic() + timeout
        while self._record.answer is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"the bot did not answer callback query {self.id}")
            await self._record.signal.wait(remaining)
        return self._record.answer


class Group:
    """A group chat; `group.chat` is its view with the emulator's bot."""

    def __init__(self, emulator: Host, info: JSON) -> None:
        self.emulator = emulator
        self.info = info
        self.id = int(info["id"])
        self.title = str(info["title"])
        self.chat = ChatView(emulator.world, emulator.bot().id, self.id)

    def chat_with(self, token: str) -> ChatView:
        return ChatView(self.emulator.world, self.emulator.bot(token).id, self.id)


class User:
    """A simulated Telegram user; `user.chat` is their private chat with the bot."""

    def __init__(self, emulator: Host, info: JSON) -> None:
        self.emulator = emulator
        self.info = info
        self.id = int(info["id"])
        self.name = str(info["first_name"])
        self.chat = ChatView(emulator.world, emulator.bot().id, self.id)

    def chat_with(self, token: str) -> ChatView:
        """This user's private chat with another bot of the emulator."""
        return ChatView(self.emulator.world, self.emulator.bot(token).id, self.id)

    def _where(self, chat: Group | None, bot: str | None) -> tuple[BotState, int]:
        return self.emulator.bot(bot), chat.id if chat is not None else self.id

    async def send(
        self,
        text: str,
        *,
        chat: Group | None = None,
        bot: str | None = None,
        reply_to: Message | None = None,
    ) -> Message:
        """Send `text` (commands included) to the bot, privately or in `chat`."""
        state, chat_id = self._where(chat, bot)
        reply = reply_to.id if reply_to is not None else None
        message = actions.send_text(self.emulator.world, state, self.id, chat_id, text, reply)
        await asyncio.sleep(0)
        return message

    async def send_photo(
        self,
        data: bytes,
        caption: str | None = None,
        *,
        chat: Group | None = None,
        bot: str | None = None,
    ) -> Message:
        state, chat_id = self._where(chat, bot)
        message = actions.send_file(
            self.emulator.world, state, self.id, chat_id, data, caption=caption
        )
        await asyncio.sleep(0)
        return message

    async def send_document(
        self,
        data: bytes,
        filename: str,
        caption: str | None = None,
        *,
        mime_type: str = "application/octet-stream",
        chat: Group | None = None,
        bot: str | None = None,
    ) -> Message:
        state, chat_id = self._where(chat, bot)
        message = actions.send_file(
            self.emulator.world,
            state,
            self.id,
            chat_id,
            data,
            kind="document",
            filename=filename,
            mime_type=mime_type,
            caption=caption,
        )
        await asyncio.sleep(0)
        return message

    async def press(self, message: Message, button: str) -> CallbackQuery:
        """Press the inline button with text (or callback_data) `button` under `message`."""
        state = self.emulator.world.bot_by_id(message.bot_id)
        if state is None:
            raise LookupError("the message's bot is gone")
        data = actions.find_button(message, button)
        record = actions.press(self.emulator.world, state, self.id, message, data)
        await asyncio.sleep(0)
        return CallbackQuery(record)

"""The Python test API: `async with Emulator() as tg:`, users, groups and button presses."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable
from types import TracebackType
from typing import Any

from tgserve.emulator import actions
from tgserve.emulator.chatview import ChatView
from tgserve.emulator.faults import Faults
from tgserve.emulator.flood import Flood
from tgserve.emulator.local import serve_bot
from tgserve.emulator.runner import InLoopServer
from tgserve.emulator.server import create_app
from tgserve.emulator.state import JSON, BotState, CallbackRecord, Message, World
from tgserve.emulator.tokens import fresh_token


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

    def __init__(self, emulator: Emulator, info: JSON) -> None:
        self.emulator = emulator
        self.info = info
        self.id = int(info["id"])
        self.title = str(info["title"])
        self.chat = ChatView(emulator.world, emulator.bot().id, self.id)

    def chat_with(self, token: str) -> ChatView:
        return ChatView(self.emulator.world, self.emulator.bot(token).id, self.id)


class User:
    """A simulated Telegram user; `user.chat` is their private chat with the bot."""

    def __init__(self, emulator: Emulator, info: JSON) -> None:
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


class Emulator:
    """A local Telegram Bot API server on 127.0.0.1, with simulated users.

    `async with Emulator(time_scale=0.01) as tg:` starts it on the running loop;
    point a bot at `tg.api_url` with `tg.token`.
    """

    def __init__(
        self,
        *,
        tokens: Iterable[str] | None = None,
        time_scale: float = 1.0,
        flood: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
        webhook_timeout: float = 60.0,
    ) -> None:
        fixed = list(tokens) if tokens is not None else None
        self.world = World(tokens=fixed, time_scale=time_scale, flood=flood)
        self.world.webhook_timeout = webhook_timeout
        self.token = fixed[0] if fixed else fresh_token()
        self.world.add_bot(self.token, "Test Bot", "test_bot")
        self.app = create_app(self.world)
        self._server = InLoopServer(self.app, host, port)

    @property
    def url(self) -> str:
        """The root URL: the browser chat."""
        return self._server.url

    @property
    def api_url(self) -> str:
        """Base URL of the Bot API (`{api_url}/bot<token>/<method>`)."""
        return self.url

    @property
    def faults(self) -> Faults:
        return self.world.faults

    @property
    def flood(self) -> Flood:
        return self.world.flood

    def bot(self, token: str | None = None) -> BotState:
        state = self.world.bots.get(token or self.token)
        if state is None:
            raise LookupError("unknown bot token")
        return state

    def add_bot(self, first_name: str = "Other Bot", username: str | None = None) -> str:
        """Register another bot; returns its token."""
        token = fresh_token()
        self.world.add_bot(token, first_name, username)
        return token

    def user(self, first_name: str, username: str | None = None) -> User:
        return User(self, self.world.add_user(first_name.capitalize(), username or first_name))

    def group(self, title: str, members: Iterable[User]) -> Group:
        return Group(self, self.world.add_group(title, [m.id for m in members]))

    def serve(
        self, target: Any, *, bot: Any = None, **options: Any
    ) -> contextlib.AbstractAsyncContextManager[InLoopServer]:
        """`async with tg.serve(handle):` runs the bot under tgserve.asgi on this emulator."""
        return serve_bot(self, target, bot=bot, **options)

    async def start(self) -> None:
        """Serve on the running loop (port 0: an unused port)."""
        await self._server.start()

    async def stop(self) -> None:
        """Stop deliveries and long polls, then the server."""
        await self.world.aclose()
        await self._server.stop()

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def __repr__(self) -> str:
        return f"<Emulator {self.url} bots={len(self.world.bots)}>"

    def __getstate__(self) -> Any:
        raise TypeError("an Emulator cannot be pickled")

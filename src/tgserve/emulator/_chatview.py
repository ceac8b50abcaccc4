"""Awaitable views of one conversation, for tests that read like a chat."""

from __future__ import annotations

import time
from collections.abc import Callable

from tgserve.emulator._state import Conversation, Event, Message, World


class ChatView:
    """One chat as seen with one bot: its messages, and waits for what the bot does."""

    def __init__(self, world: World, bot_id: int, chat_id: int) -> None:
        self.world = world
        self.bot_id = bot_id
        self.id = chat_id
        self._cursor = 0

    @property
    def conversation(self) -> Conversation:
        return self.world.conversation(self.bot_id, self.id)

    @property
    def messages(self) -> list[Message]:
        """Every message still in the chat, both sides, in order, as last edited."""
        return [m for m in self.conversation.messages.values() if not m.deleted]

    @property
    def bot_messages(self) -> list[Message]:
        return [m for m in self.messages if m.from_bot]

    @property
    def events(self) -> list[Event]:
        return list(self.conversation.events)

    @property
    def actions(self) -> list[str]:
        """Chat actions (sendChatAction) the bot sent, in order."""
        return [str(e.data["action"]) for e in self.conversation.events if e.kind == "action"]

    async def next_event(self, kind: str | None = None, timeout: float = 5.0) -> Event:
        """The next change not yet returned here (of `kind`: message, edit, delete, ...)."""
        deadline = time.monotonic() + timeout
        conv = self.conversation
        while True:
            while self._cursor < len(conv.events):
                event = conv.events[self._cursor]
                self._cursor += 1
                by_user = (
                    event.kind == "message"
                    and event.message is not None
                    and not event.message.from_bot
                )
                if not by_user and (kind is None or event.kind == kind):
                    return event
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(
                    f"no {kind or 'event'} from the bot within {timeout} s; "
                    f"chat so far: {self.messages}"
                )
            await conv.signal.wait(remaining)

    async def next_message(self, timeout: float = 5.0) -> Message:
        """The next message the bot sends here (skipping edits and other events)."""
        event = await self.next_event("message", timeout)
        assert event.message is not None
        return event.message

    async def next_edit(self, timeout: float = 5.0) -> Message:
        event = await self.next_event("edit", timeout)
        assert event.message is not None
        return event.message

    async def wait_for(self, predicate: Callable[[Message], bool], timeout: float = 5.0) -> Message:
        """The first bot message, current or future, for which `predicate` is true."""
        deadline = time.monotonic() + timeout
        conv = self.conversation
        while True:
            for message in self.bot_messages:
                if predicate(message):
                    return message
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(
                    f"no matching bot message within {timeout} s; chat so far: {self.messages}"
                )
            await conv.signal.wait(remaining)

    async def wait_for_text(self, fragment: str, timeout: float = 5.0) -> Message:
        """The first bot message whose text contains `fragment`."""
        return await self.wait_for(lambda m: fragment in m.text, timeout)

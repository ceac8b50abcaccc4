"""Simulated people in the Python test API: users and groups, and everything they do."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, Protocol

from tgserve.emulator import _actions as actions
from tgserve.emulator import _inline as inline
from tgserve.emulator import _membership as membership
from tgserve.emulator import _payments as payments
from tgserve.emulator import _polls as polls
from tgserve.emulator._chatview import ChatView
from tgserve.emulator._state import JSON, BotState, CallbackRecord, Message, World


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

    async def add_bot(self, by: User, *, admin: bool = False, bot: str | None = None) -> JSON:
        """`by` adds the bot (as administrator with `admin`): ``my_chat_member``."""
        status = "administrator" if admin else "member"
        return await by._bot_status(self.id, status, bot)

    async def remove_bot(self, by: User, *, bot: str | None = None) -> JSON:
        """`by` removes the bot from the group: ``my_chat_member`` with status kicked."""
        return await by._bot_status(self.id, "kicked", bot)


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

    async def _post(
        self,
        act: Callable[..., Message],
        chat: Group | None,
        bot: str | None,
        *args: Any,
        **kw: Any,
    ) -> Message:
        """``act(world, bot, user, chat_id, *args)``: this user posts in the private chat
        (or ``chat``); the message once the bot's update is on its way."""
        state, chat_id = self._where(chat, bot)
        return await _settled(act(self.emulator.world, state, self.id, chat_id, *args, **kw))

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
        """Send a photo (PNG, JPEG, GIF or WebP: the type comes from the data)."""
        return await self.send_file(data, "photo", caption=caption, chat=chat, bot=bot)

    async def send_document(
        self,
        data: bytes,
        filename: str,
        caption: str | None = None,
        *,
        mime_type: str | None = None,
        chat: Group | None = None,
        bot: str | None = None,
    ) -> Message:
        """Send a file as a document (its type guessed from the data when not given)."""
        return await self.send_file(
            data, "document", filename, caption, mime_type=mime_type, chat=chat, bot=bot
        )

    async def send_file(
        self,
        data: bytes,
        kind: str,
        filename: str | None = None,
        caption: str | None = None,
        *,
        mime_type: str | None = None,
        chat: Group | None = None,
        bot: str | None = None,
    ) -> Message:
        """Send `data` as `kind`: photo, document, video, animation, audio, voice, sticker."""
        return await self._post(
            actions.send_file,
            chat,
            bot,
            data,
            kind=kind,
            filename=filename,
            mime_type=mime_type,
            caption=caption,
        )

    async def send_location(
        self,
        latitude: float,
        longitude: float,
        *,
        chat: Group | None = None,
        bot: str | None = None,
    ) -> Message:
        return await self._post(actions.send_location, chat, bot, latitude, longitude)

    async def send_venue(
        self,
        latitude: float,
        longitude: float,
        title: str,
        address: str,
        *,
        chat: Group | None = None,
        bot: str | None = None,
    ) -> Message:
        return await self._post(actions.send_venue, chat, bot, latitude, longitude, title, address)

    async def send_contact(
        self,
        phone_number: str,
        first_name: str,
        last_name: str | None = None,
        *,
        user_id: int | None = None,
        chat: Group | None = None,
        bot: str | None = None,
    ) -> Message:
        """Share a contact (`user_id`: the contact's Telegram user, e.g. one's own)."""
        return await self._post(
            actions.send_contact, chat, bot, phone_number, first_name, last_name, user_id
        )

    async def send_dice(
        self, emoji: str = "🎲", *, chat: Group | None = None, bot: str | None = None
    ) -> Message:
        return await self._post(actions.send_dice, chat, bot, emoji)

    async def send_poll(
        self,
        question: str,
        options: list[str],
        *,
        chat: Group | None = None,
        bot: str | None = None,
        **settings: Any,
    ) -> Message:
        """Send a poll of one's own; `settings`: kind, anonymous, multiple, correct."""
        return await self._post(polls.user_poll, chat, bot, question, options, **settings)

    async def vote(self, message: Message, *options: int | str) -> JSON:
        """Vote in the poll in `message` by option index or text (none: retract)."""
        poll = message.raw.get("poll") or {}
        texts = [o["text"] for o in poll.get("options", [])]
        chosen = [o if isinstance(o, int) else _index(texts, o) for o in options]
        answer = polls.vote(self.emulator.world, self.id, message, chosen)
        await asyncio.sleep(0)
        return answer

    async def edit(self, message: Message, text: str) -> Message:
        """Edit one's own text message; the bot gets an ``edited_message``."""
        state = self._bot_of(message)
        return await _settled(actions.edit_text(self.emulator.world, state, self.id, message, text))

    async def react(self, message: Message, *emoji: str) -> JSON | None:
        """Set one's reactions on `message` (none: remove them): a ``message_reaction``."""
        state = self._bot_of(message)
        update = actions.react(self.emulator.world, state, self.id, message, list(emoji))
        await asyncio.sleep(0)
        return update

    async def inline(self, query: str, *, bot: str | None = None) -> InlineQuery:
        """Type ``@bot query``; `await q.results()` gives the bot's answer."""
        state = self.emulator.bot(bot)
        record = inline.inline_query(self.emulator.world, state, self.id, query)
        await asyncio.sleep(0)
        return InlineQuery(self, state, record)

    async def pay(
        self,
        invoice: Message,
        *,
        tip: int = 0,
        shipping_address: JSON | None = None,
        order_info: JSON | None = None,
    ) -> Message:
        """Pay the invoice in `invoice`: the bot's checkout runs; returns the
        ``successful_payment`` message. Raises PaymentRefused when the bot refuses."""
        state = self._bot_of(invoice)
        return await payments.pay(
            self.emulator.world,
            state,
            self.id,
            invoice,
            tip=tip,
            shipping_address=shipping_address,
            order_info=order_info,
        )

    async def send_web_app_data(
        self, data: str, button_text: str = "Open", *, bot: str | None = None
    ) -> Message:
        """A Web App opened from a keyboard button sends `data` to the bot."""
        state = self.emulator.bot(bot)
        world = self.emulator.world
        return await _settled(actions.send_web_app_data(world, state, self.id, data, button_text))

    def open_web_app(self, *, bot: str | None = None) -> str:
        """Open the bot's Web App; returns the ``query_id`` the bot answers with
        answerWebAppQuery."""
        return inline.open_web_app(self.emulator.world, self.emulator.bot(bot), self.id).id

    async def block(self, *, bot: str | None = None) -> JSON:
        """Block the bot (its ``my_chat_member`` says kicked); `unblock` undoes it."""
        return await self._bot_status(self.id, "kicked", bot)

    async def unblock(self, *, bot: str | None = None) -> JSON:
        return await self._bot_status(self.id, "member", bot)

    async def join(self, group: Group, *, bot: str | None = None) -> JSON:
        """Join `group`: ``chat_member`` (to an admin bot) and a ``new_chat_members`` message."""
        state = self.emulator.bot(bot)
        update = membership.join(self.emulator.world, state, group.id, self.id)
        await asyncio.sleep(0)
        return update

    async def leave(self, group: Group, *, bot: str | None = None) -> JSON:
        state = self.emulator.bot(bot)
        update = membership.leave(self.emulator.world, state, group.id, self.id)
        await asyncio.sleep(0)
        return update

    async def open_invite_link(self, link: str, *, bot: str | None = None) -> JSON:
        """Open an invite link: join at once, or send a ``chat_join_request``."""
        state = self.emulator.bot(bot)
        found = membership.use_invite_link(self.emulator.world, state, link, self.id)
        await asyncio.sleep(0)
        return found

    async def _bot_status(self, chat_id: int, status: str, bot: str | None) -> JSON:
        state = self.emulator.bot(bot)
        world = self.emulator.world
        update = membership.set_bot_status(world, state, chat_id, self.id, status)
        await asyncio.sleep(0)
        return update

    def _bot_of(self, message: Message) -> BotState:
        state = self.emulator.world.bot_by_id(message.bot_id)
        if state is None:
            raise LookupError("the message's bot is gone")
        return state

    async def press(self, message: Message, button: str) -> CallbackQuery:
        """Press the inline button with text (or callback_data) `button` under `message`."""
        state = self.emulator.world.bot_by_id(message.bot_id)
        if state is None:
            raise LookupError("the message's bot is gone")
        data = actions.find_button(message, button)
        record = actions.press(self.emulator.world, state, self.id, message, data)
        await asyncio.sleep(0)
        return CallbackQuery(record)


class InlineQuery:
    """An inline query a user typed; `await results()`, then `await choose(result_id)`."""

    def __init__(self, user: User, bot: BotState, record: CallbackRecord) -> None:
        self.user = user
        self.bot = bot
        self._record = record
        self.id = record.id

    async def answered(self, timeout: float = 5.0) -> JSON:
        """The bot's answerInlineQuery (results, cache_time, next_offset, button)."""
        deadline = time.monotonic() + timeout
        while self._record.answer is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"the bot did not answer inline query {self.id}")
            await self._record.signal.wait(remaining)
        return self._record.answer

    async def results(self, timeout: float = 5.0) -> list[JSON]:
        return list((await self.answered(timeout))["results"])

    async def choose(self, result_id: str) -> Message:
        """Pick a result: its message appears in the user's chat (``via_bot``) and the bot
        gets ``chosen_inline_result``."""
        await self.answered()
        world = self.user.emulator.world
        message = inline.choose(world, self.bot, self.user.id, self._record, result_id)
        return await _settled(message)


def _index(texts: list[str], option: str) -> int:
    if option not in texts:
        raise LookupError(f"no poll option {option!r}; options: {texts}")
    return texts.index(option)


async def _settled(message: Message) -> Message:
    await asyncio.sleep(0)
    return message

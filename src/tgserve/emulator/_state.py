"""The emulated world: bots, users, chats, messages, files and pending updates."""

from __future__ import annotations

import dataclasses
import itertools
import secrets
import time
from collections.abc import Callable
from typing import Any, Protocol

from tgserve.emulator._blocks import Blocks
from tgserve.emulator._credentials import bot_id as token_bot_id
from tgserve.emulator._faults import Faults
from tgserve.emulator._flood import Flood
from tgserve.emulator._wakeup import Wakeup

JSON = dict[str, Any]
DEFAULT_UPDATES = frozenset(
    {
        "message",
        "edited_message",
        "callback_query",
        "channel_post",
        "edited_channel_post",
        "inline_query",
        "chosen_inline_result",
        "shipping_query",
        "pre_checkout_query",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
    }
)


class Pusher(Protocol):
    """What the world needs of a bot's webhook delivery (delivery.WebhookPusher)."""

    def start(self) -> None: ...

    def wake(self) -> None: ...

    async def stop(self) -> None: ...


@dataclasses.dataclass(eq=False)
class Message:
    """One message in a chat, as the Bot API shows it (`raw`), kept current on edits."""

    bot_id: int
    chat_id: int
    raw: JSON
    markup: JSON | None = None
    from_bot: bool = False
    deleted: bool = False
    edits: int = 0
    reactions: dict[str, list[JSON]] = dataclasses.field(default_factory=dict)

    @property
    def id(self) -> int:
        return int(self.raw["message_id"])

    @property
    def text(self) -> str:
        """The text, else the caption, else ""."""
        return str(self.raw.get("text", self.raw.get("caption", "")))

    @property
    def entities(self) -> list[JSON]:
        found = self.raw.get("entities", self.raw.get("caption_entities"))
        return list(found) if isinstance(found, list) else []

    @property
    def buttons(self) -> list[list[str]]:
        """Inline keyboard button texts, row by row."""
        rows = (self.markup or {}).get("inline_keyboard", [])
        return [[str(b.get("text", "")) for b in row] for row in rows]

    @property
    def keyboard(self) -> list[list[str]]:
        """Reply keyboard button texts, row by row."""
        rows = (self.markup or {}).get("keyboard", [])
        return [[b if isinstance(b, str) else str(b.get("text", "")) for b in row] for row in rows]

    def public(self) -> JSON:
        return {
            "bot_id": self.bot_id,
            "chat_id": self.chat_id,
            "message": self.raw,
            "markup": self.markup,
            "from_bot": self.from_bot,
            "deleted": self.deleted,
            "edits": self.edits,
            "reactions": self.reactions,
        }

    def __repr__(self) -> str:
        who = "bot" if self.from_bot else "user"
        return f"<Message {self.id} from {who}: {self.text!r}>"


@dataclasses.dataclass
class Event:
    """A change in a conversation: `message`, `edit`, `delete`, `action` or `answer`."""

    kind: str
    bot_id: int
    chat_id: int
    message: Message | None = None
    data: JSON = dataclasses.field(default_factory=dict)

    def public(self) -> JSON:
        body: JSON = {"kind": self.kind, "bot_id": self.bot_id, "chat_id": self.chat_id}
        if self.message is not None:
            body.update(self.message.public())
        body["data"] = self.data
        return body


@dataclasses.dataclass(eq=False)
class Conversation:
    """One chat as one bot sees it: its messages and changes."""

    bot_id: int
    chat_id: int
    messages: dict[int, Message] = dataclasses.field(default_factory=dict)
    events: list[Event] = dataclasses.field(default_factory=list)
    signal: Wakeup = dataclasses.field(default_factory=Wakeup)
    next_id: int = 1
    pinned: list[int] = dataclasses.field(default_factory=list)

    def allocate_id(self) -> int:
        value = self.next_id
        self.next_id += 1
        return value


@dataclasses.dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    mime_type: str
    file_name: str


@dataclasses.dataclass
class PendingUpdate:
    update_id: int
    chat_key: object
    payload: JSON
    created: float = dataclasses.field(default_factory=time.monotonic)
    in_flight: bool = False


@dataclasses.dataclass
class Webhook:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None


@dataclasses.dataclass(eq=False)
class CallbackRecord:
    """A query a user makes and the bot answers: callback, inline, shipping, pre-checkout."""

    id: str
    bot_id: int
    chat_id: int
    user_id: int
    answer: JSON | None = None
    signal: Wakeup = dataclasses.field(default_factory=Wakeup)
    kind: str = "callback_query"
    payload: JSON = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(eq=False)
class PollRecord:
    """A poll in a chat, its votes by user id, and the message that carries it."""

    poll: JSON
    bot_id: int
    chat_id: int
    message_id: int
    votes: dict[int, list[int]] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(eq=False)
class Charge:
    """A paid invoice (Telegram Stars or another currency) and whether it was refunded."""

    id: str
    bot_id: int
    user_id: int
    currency: str
    total_amount: int
    payload: str
    refunded: bool = False


class BotState:
    """One bot (one token): its profile, updates, webhook and commands."""

    def __init__(self, token: str, first_name: str | None = None, username: str | None = None):
        self.token = token
        self.id = token_bot_id(token)
        self.first_name = first_name or "Test Bot"
        self.username = username or f"test{self.id}_bot"
        self.updates: list[PendingUpdate] = []
        self.next_update_id = 1
        self.allowed_updates: list[str] | None = None
        self.webhook: Webhook | None = None
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None
        self.commands: dict[str, list[JSON]] = {}
        self.signal = Wakeup()
        self.delivery: Pusher | None = None
        self.poll_generation = 0
        self.profile: dict[str, str] = {}  # name, description, short_description by language
        self.menu_buttons: dict[int | None, JSON] = {}  # None: the default

    def user(self) -> JSON:
        return {
            "id": self.id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }

    def me(self) -> JSON:
        return {
            **self.user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,  # inline mode is emulated for every bot
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def accepts(self, kind: str) -> bool:
        allowed = self.allowed_updates
        return kind in DEFAULT_UPDATES if not allowed else kind in allowed


class World:
    """Everything the emulator knows; lives on one event loop."""

    def __init__(
        self, *, tokens: list[str] | None = None, time_scale: float = 1.0, flood: bool = False
    ) -> None:
        self.fixed_tokens = tokens is not None
        self.bots: dict[str, BotState] = {}
        self.time_scale = time_scale
        self.webhook_timeout = 60.0
        self.max_update_age = 24 * 3600.0
        self.closed = False
        self.signal = Wakeup()
        self.users: dict[int, JSON] = {}
        self.chats: dict[int, JSON] = {}
        self.members: dict[int, list[int]] = {}
        self.conversations: dict[tuple[int, int], Conversation] = {}
        self.files: dict[str, StoredFile] = {}
        self.callbacks: dict[str, CallbackRecord] = {}
        self.polls: dict[str, PollRecord] = {}
        self.charges: dict[str, Charge] = {}
        self.invoices: dict[tuple[int, int, int], JSON] = {}  # (bot, chat, message) -> params
        self.bot_status: dict[tuple[int, int], JSON] = {}  # (bot, chat) -> ChatMember
        self.member_status: dict[tuple[int, int], JSON] = {}  # (chat, user) -> ChatMember
        self.invite_links: dict[str, JSON] = {}  # link -> (chat_id, ChatInviteLink)
        self.join_requests: dict[tuple[int, int], JSON] = {}  # (chat, user) -> request
        self.faults = Faults()
        self.flood = Flood(enabled=flood)
        self.blocks = Blocks()
        self.listeners: list[Callable[[Event], None]] = []
        self.pusher_factory: Callable[[World, BotState], Pusher] | None = None
        self._user_ids = itertools.count(100_001)
        self._group_ids = itertools.count(1_000_000_001)
        self._file_seq = itertools.count(1)
        for token in tokens or []:
            self.add_bot(token)

    # bots
    def add_bot(
        self, token: str, first_name: str | None = None, username: str | None = None
    ) -> BotState:
        state = self.bots.get(token)
        if state is None:
            state = self.bots[token] = BotState(token, first_name, username)
        return state

    def bot_for(self, token: str) -> BotState | None:
        state = self.bots.get(token)
        if state is None and not self.fixed_tokens:
            state = self.add_bot(token)
        return state

    def bot_by_id(self, ident: int) -> BotState | None:
        return next((b for b in self.bots.values() if b.id == ident), None)

    # users and chats
    def add_user(
        self,
        first_name: str,
        username: str | None = None,
        last_name: str | None = None,
        *,
        user_id: int | None = None,
    ) -> JSON:
        """A new user (and their private chat); `user_id` picks the id (else the next one)."""
        ident = user_id if user_id is not None else next(self._user_ids)
        if ident in self.users or ident <= 0:
            raise ValueError(f"user id {ident} is taken or not positive")
        user: JSON = {
            "id": ident,
            "is_bot": False,
            "first_name": first_name,
            "username": username or first_name.lower().replace(" ", "_"),
            "language_code": "en",
        }
        if last_name:
            user["last_name"] = last_name
        self.users[ident] = user
        chat: JSON = {
            "id": ident,
            "type": "private",
            "first_name": first_name,
            "username": user["username"],
        }
        if last_name:
            chat["last_name"] = last_name
        self.chats[ident] = chat
        return user

    def add_group(self, title: str, member_ids: list[int]) -> JSON:
        ident = -next(self._group_ids)
        chat: JSON = {"id": ident, "type": "supergroup", "title": title}
        self.chats[ident] = chat
        self.members[ident] = list(member_ids)
        return chat

    def chat(self, chat_id: int | str) -> JSON | None:
        if isinstance(chat_id, str):
            name = chat_id.removeprefix("@").lower()
            return next(
                (c for c in self.chats.values() if str(c.get("username", "")).lower() == name), None
            )
        return self.chats.get(chat_id)

    def user(self, user_id: int) -> JSON:
        found = self.users.get(user_id)
        if found is None:
            raise LookupError(f"unknown user {user_id}")
        return found

    def conversation(self, bot_id: int, chat_id: int) -> Conversation:
        key = (bot_id, chat_id)
        conv = self.conversations.get(key)
        if conv is None:
            conv = self.conversations[key] = Conversation(bot_id, chat_id)
        return conv

    # changes
    def record(self, event: Event) -> None:
        conv = self.conversation(event.bot_id, event.chat_id)
        conv.events.append(event)
        conv.signal.fire()
        self.signal.fire()
        for listener in list(self.listeners):
            listener(event)

    def push_update(self, bot: BotState, kind: str, obj: JSON, chat_key: object) -> int | None:
        """Queue an update of `kind` for `bot`; None when its allowed_updates drop it."""
        if not bot.accepts(kind):
            return None
        update_id = bot.next_update_id
        bot.next_update_id += 1
        bot.updates.append(PendingUpdate(update_id, chat_key, {"update_id": update_id, kind: obj}))
        bot.signal.fire()
        if bot.delivery is not None:
            bot.delivery.wake()
        return update_id

    # files
    def store_file(self, data: bytes, kind: str, file_name: str, mime_type: str) -> StoredFile:
        seq = next(self._file_seq)
        unique = secrets.token_urlsafe(12)
        suffix = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
        stored = StoredFile(
            file_id=f"{kind[:2].upper()}{seq}_{secrets.token_urlsafe(24)}",
            file_unique_id=unique,
            file_path=f"{kind}s/file_{seq}.{suffix}",
            data=data,
            mime_type=mime_type,
            file_name=file_name,
        )
        self.files[stored.file_id] = stored
        return stored

    def file_by_path(self, path: str) -> StoredFile | None:
        return next((f for f in self.files.values() if f.file_path == path), None)

    # webhooks
    def start_webhook(self, bot: BotState, hook: Webhook) -> None:
        """Set `bot`'s webhook and make sure a pusher delivers to it."""
        bot.webhook = hook
        bot.signal.fire()
        if bot.delivery is None:
            if self.pusher_factory is None:
                raise RuntimeError("no webhook delivery: serve the world with create_app()")
            bot.delivery = self.pusher_factory(self, bot)
            bot.delivery.start()
        bot.delivery.wake()

    async def stop_webhook(self, bot: BotState) -> None:
        """Remove `bot`'s webhook and stop its pusher (queued updates stay)."""
        bot.webhook = None
        delivery, bot.delivery = bot.delivery, None
        if delivery is not None:
            await delivery.stop()
        bot.signal.fire()

    async def aclose(self) -> None:
        """Stop deliveries and wake every waiter (long polls, event streams)."""
        self.closed = True
        for bot in self.bots.values():
            delivery, bot.delivery = bot.delivery, None
            if delivery is not None:
                await delivery.stop()
            bot.signal.fire()
        self.signal.fire()

    def scaled(self, seconds: float) -> float:
        return seconds * self.time_scale

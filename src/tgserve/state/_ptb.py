"""The PTB bridge: an Application without persistence keeps its state in the store.

Before an update: its user's ``user_data``, its chat's ``chat_data``, ``bot_data``, the
state of every ConversationHandler (nested ones too) for the update's key, and the
callback-data keyboards its buttons refer to are read in one round trip and put where
PTB looks for them. After the handler, what changed is written back in one write. Both
happen inside the chat's claim or lease (docs/state.md).

PTB offers no public hook for this; the private attributes used are
``Application._user_data``/``_chat_data``, ``ConversationHandler._conversations`` and
``_get_key``, and ``CallbackDataCache._keyboard_data``, as in PTB 22.x (tested with the
versions ``SUPPORTED`` names).
"""

from __future__ import annotations

import dataclasses
import logging
import time
import weakref
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from typing import Any

from telegram import Update
from telegram.ext import Application, ConversationHandler
from telegram.ext._handlers.conversationhandler import PendingState

from tgserve.state._base import Change, Fields
from tgserve.state._errors import StateDecodeError
from tgserve.state._records import StateRecords
from tgserve.state._synced import Synced

log = logging.getLogger("tgserve.state")

SUPPORTED = ((22, 0), (23, 0))  # PTB versions whose private attributes this bridge uses
BOT_DATA = "b"
PER_PROCESS = ("PicklePersistence", "DictPersistence")
TIMEOUT_SLACK = 0.05  # seconds: a job fires a little after the deadline it was set for
_bridges: weakref.WeakSet[PTBState] = weakref.WeakSet()  # those with timed conversations


def conversation_name(handler: ConversationHandler[Any], taken: set[str]) -> str:
    """The stable name a conversation's records use: its ``name``, else its entry points.

    An unnamed handler is named ``~`` followed by the ``module:qualname`` of its entry
    points' callbacks; a second handler with the same entry points gets ``#2``, and so
    on in the order the handlers were added.
    """
    base = handler.name
    if not base:
        callbacks = (getattr(e, "callback", None) for e in handler.entry_points)
        base = "~" + ",".join(
            f"{getattr(c, '__module__', '?')}:{getattr(c, '__qualname__', '?')}" for c in callbacks
        )
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}#{n}"
    taken.add(name)
    return name


def _conversations(
    app: Application[Any, Any, Any, Any, Any, Any],
) -> list[ConversationHandler[Any]]:
    found: list[ConversationHandler[Any]] = []

    def walk(handlers: Any) -> None:
        for handler in handlers:
            if isinstance(handler, ConversationHandler) and handler not in found:
                found.append(handler)
                walk(handler.entry_points)
                for state_handlers in handler.states.values():
                    walk(state_handlers)
                walk(handler.fallbacks)

    for group in sorted(app.handlers):
        walk(app.handlers[group])
    return found


def _conversation_key(handler: ConversationHandler[Any], update: Update) -> tuple[Any, ...] | None:
    """The key ``handler`` files ``update`` under, or None when it ignores such updates."""
    if update.channel_post or update.edited_channel_post:
        return None
    if handler.per_chat and not update.effective_chat:
        return None
    if handler.per_user and not update.effective_user:
        return None
    if handler.per_message and not update.callback_query:
        return None
    if update.callback_query and handler.per_chat and not update.callback_query.message:
        return None
    return handler._get_key(update)


@dataclasses.dataclass(slots=True)
class _Conversation:
    handler: ConversationHandler[Any]
    name: str
    record: str
    key: tuple[Any, ...]
    before: Fields
    state: Any = None
    job: Any = None  # the conversation's local timeout job when the update arrived


@dataclasses.dataclass(slots=True)
class Loaded:
    """What one update read: the records it holds, to write back or give back."""

    user: str | None = None
    chat: str | None = None
    conversations: list[_Conversation] = dataclasses.field(default_factory=list)
    keyboards: dict[str, Fields] = dataclasses.field(default_factory=dict)


def use_state(
    app: Application[Any, Any, Any, Any, Any, Any], records: StateRecords, *, shared: bool
) -> PTBState | None:
    """The bridge for ``app``; None when it keeps a persistence of its own (left alone).

    PTB's ``PicklePersistence`` and ``DictPersistence`` keep running, but on a shared
    store they are per process: the bridge keeps the state in the store as well, and
    reads it from there (logged once).
    """
    persistence = app.persistence
    if persistence is not None:
        if not shared or type(persistence).__name__ not in PER_PROCESS:
            return None
        log.warning(
            "this PTB bot's %s keeps its data per process, though the store is shared: "
            "tgserve keeps the bot's state in the store as well and reads it from there "
            "(docs/state.md)",
            type(persistence).__name__,
        )
    if not version_supported():
        import telegram

        log.warning(
            "tgserve state was tested with PTB %d.x to %d.x, not %s",
            SUPPORTED[0][0],
            SUPPORTED[1][0] - 1,
            telegram.__version__,
        )
    codec: Any = records.codec
    if hasattr(codec, "bot"):
        codec.bot = app.bot  # PTB objects read back are bound to the bot, for their shortcuts
    return PTBState(app, records)


class PTBState:
    """Loads before and saves after each update of one Application (see the module doc)."""

    def __init__(self, app: Application[Any, Any, Any, Any, Any, Any], records: StateRecords):
        self.app = app
        self.records = records
        self.synced = Synced(records)
        self._named: list[tuple[ConversationHandler[Any], str]] = []
        self._handler_count = -1
        self._known_keyboards: set[str] = set()
        types = app.context_types
        self.keep_user = issubclass(types.user_data, MutableMapping)
        self.keep_chat = issubclass(types.chat_data, MutableMapping)
        self.keep_bot = isinstance(app.bot_data, MutableMapping)
        kept = {"user_data": self.keep_user, "chat_data": self.keep_chat, "bot_data": self.keep_bot}
        if not all(kept.values()):
            log.warning(
                "tgserve state keeps data that are mappings; this bot's %s stay per process",
                ", ".join(name for name, ok in kept.items() if not ok),
            )

    # names -----------------------------------------------------------------

    def conversations(self) -> list[tuple[ConversationHandler[Any], str]]:
        """Every ConversationHandler of the application with its stable name."""
        count = sum(len(h) for h in self.app.handlers.values())
        if count != self._handler_count:
            taken: set[str] = set()
            self._named = [(h, conversation_name(h, taken)) for h in _conversations(self.app)]
            self._handler_count = count
            if any(h.conversation_timeout is not None for h, _ in self._named):
                _guard_timeouts()
                _bridges.add(self)
        return self._named

    # load ------------------------------------------------------------------

    async def load(self, update: Update) -> Loaded:
        """Read what ``update`` can touch and put it where PTB looks for it."""
        loaded = Loaded()
        user, chat = update.effective_user, update.effective_chat
        keys = [BOT_DATA] if self.keep_bot else []
        if user is not None and self.keep_user:
            loaded.user = f"u:{user.id}"
            keys.append(loaded.user)
        if chat is not None and self.keep_chat:
            loaded.chat = f"c:{chat.id}"
            keys.append(loaded.chat)
        for handler, name in self.conversations():
            key = _conversation_key(handler, update)
            if key is not None:
                record = f"v:{name}:{':'.join(str(part) for part in key)}"
                loaded.conversations.append(_Conversation(handler, name, record, key, {}))
                keys.append(record)
        cache = self.app.bot.callback_data_cache
        if cache is not None:
            for uuid in _keyboard_uuids(update):
                if uuid not in cache._keyboard_data:
                    keys.append(f"k:{uuid}")
        stored = await self.records.read(keys)
        taken: list[str] = []
        try:
            if self.keep_bot:
                self.synced.take(BOT_DATA, self.app.bot_data, stored.get(BOT_DATA, {}))
                taken.append(BOT_DATA)
            if loaded.user is not None and user is not None:
                self.synced.take(
                    loaded.user,
                    self._data(self.app._user_data, user.id),
                    stored.get(loaded.user, {}),
                )
                taken.append(loaded.user)
            if loaded.chat is not None and chat is not None:
                self.synced.take(
                    loaded.chat,
                    self._data(self.app._chat_data, chat.id),
                    stored.get(loaded.chat, {}),
                )
                taken.append(loaded.chat)
            for conv in loaded.conversations:
                self._load_conversation(conv, stored.get(conv.record, {}))
            for record, fields in stored.items():
                if record.startswith("k:"):
                    self._load_keyboard(record, fields)
                    loaded.keyboards[record] = fields
        except BaseException:
            for record in taken:
                self.synced.give_back(record, keep=record == BOT_DATA, failed=True)
            raise
        return loaded

    @staticmethod
    def _data(store: MutableMapping[int, Any], key: int) -> MutableMapping[Any, Any]:
        data = store[key]  # PTB's defaultdict builds the context type's data object
        if not isinstance(data, MutableMapping):
            raise TypeError(
                "tgserve state keeps user_data and chat_data that are mappings, "
                f"not {type(data).__name__}"
            )
        return data

    def _load_conversation(self, conv: _Conversation, fields: Fields) -> None:
        live = conv.handler._conversations
        conv.before = dict(fields)
        conv.job = conv.handler.timeout_jobs.get(conv.key)
        values = self.records.decode(conv.record, fields)
        if isinstance(live.get(conv.key), PendingState):
            return  # a non-blocking step of this process is still running: it knows best
        until = values.get("t")
        expired = isinstance(until, float) and until < time.time()  # conversation_timeout
        if "s" in values and not expired:
            live[conv.key] = values["s"]
        else:
            live.pop(conv.key, None)
        conv.state = live.get(conv.key)

    def _load_keyboard(self, key: str, fields: Fields) -> None:
        values = self.records.decode(key, fields)
        cache = self.app.bot.callback_data_cache
        if cache is None or not isinstance(values.get("d"), dict):
            return
        uuid = key[2:]
        cache.load_persistence_data(
            ([(uuid, float(values.get("t") or time.time()), values["d"])], {})
        )
        self._known_keyboards.add(uuid)

    # save ------------------------------------------------------------------

    def changes(self, loaded: Loaded) -> list[Change]:
        """What the update changed, as writes (snapshots move on; see :meth:`done`)."""
        out: list[Change | None] = []
        if self.keep_bot:
            out.append(self.synced.change(BOT_DATA, self.app.bot_data))
        if loaded.user is not None:
            uid = int(loaded.user[2:])
            out.append(self.synced.change(loaded.user, self._data(self.app._user_data, uid)))
        if loaded.chat is not None:
            cid = int(loaded.chat[2:])
            out.append(self.synced.change(loaded.chat, self._data(self.app._chat_data, cid)))
        now = time.time()
        for conv in loaded.conversations:
            out.append(self._conversation_change(conv, now))
        out.extend(self._keyboard_changes(loaded))
        return [c for c in out if c is not None]

    def _conversation_change(self, conv: _Conversation, now: float) -> Change | None:
        state = conv.handler._conversations.get(conv.key)
        if isinstance(state, PendingState):
            if not state.done():
                return None  # saved by the next update of this key, once resolved here
            state = state.resolve()
            if state == ConversationHandler.END:
                state = None
        if state is None:
            return Change(conv.record, {}, list(conv.before)) if conv.before else None
        values: dict[str, Any] = {"s": state}
        timeout = conv.handler.conversation_timeout
        if timeout is not None:
            seconds = timeout.total_seconds() if hasattr(timeout, "total_seconds") else timeout
            values["t"] = now + float(seconds)
            before = self.records.decode(conv.record, conv.before)
            renewed = conv.handler.timeout_jobs.get(conv.key) is not conv.job
            kept = isinstance(before.get("t"), float) and before.get("s") == state
            if kept and self._jobs_run() and not renewed:  # PTB did not renew its timeout
                values["t"] = before["t"]
        return self.records.diff(conv.record, self.records.encode(conv.record, values), conv.before)

    def _jobs_run(self) -> bool:
        queue = self.app.job_queue
        return queue is not None and queue.scheduler.running

    # conversation_timeout across processes -----------------------------------

    async def timeout_due(self, handler: ConversationHandler[Any], key: tuple[Any, ...]) -> bool:
        """True when the stored conversation's deadline has passed: no later step, in any
        process, renewed it. False when it did, or when the conversation ended elsewhere."""
        name = next((n for h, n in self.conversations() if h is handler), None)
        if name is None:
            return True
        record = f"v:{name}:{':'.join(str(part) for part in key)}"
        stored = (await self.records.read([record])).get(record)
        if not stored:
            return False
        until = self.records.decode(record, stored).get("t")
        return not isinstance(until, float) or until <= time.time() + TIMEOUT_SLACK

    async def timed_out(self, handler: ConversationHandler[Any], key: tuple[Any, ...]) -> None:
        """The TIMEOUT handlers ran here: the conversation ended, in the store too."""
        name = next((n for h, n in self.conversations() if h is handler), None)
        if name is not None:
            record = f"v:{name}:{':'.join(str(part) for part in key)}"
            await self.records.backend.delete([record])

    def _keyboard_changes(self, loaded: Loaded) -> Iterator[Change]:
        cache = self.app.bot.callback_data_cache
        if cache is None:
            return
        held = cache._keyboard_data
        for key, fields in loaded.keyboards.items():
            if key[2:] not in held:  # dropped by the handler (drop_callback_data)
                self._known_keyboards.discard(key[2:])
                yield Change(key, {}, list(fields))
        for uuid, data in list(held.items()):
            if uuid not in self._known_keyboards:
                key = f"k:{uuid}"
                yield Change(
                    key, self.records.encode(key, {"t": data.access_time, "d": data.button_data})
                )
                self._known_keyboards.add(uuid)
        if len(self._known_keyboards) > 2 * max(cache.maxsize, 1):
            self._known_keyboards &= set(held)

    async def around(self, update: Update, process: Callable[[Update], Awaitable[None]]) -> None:
        """Load, run ``process`` (PTB's ``process_update``), save what changed, give back."""
        try:
            loaded = await self.load(update)
        except StateDecodeError as exc:
            chat = update.effective_chat
            raise StateDecodeError(f"chat {chat.id if chat else None}: {exc}") from None
        failed = True
        try:
            await process(update)
            await self.records.write(self.changes(loaded))
            failed = False
        finally:
            self.done(loaded, failed=failed)

    def done(self, loaded: Loaded, *, failed: bool) -> None:
        """Give back what ``loaded`` holds; the data of users and chats no update holds is
        dropped from the process (the store has it)."""
        given = self.keep_bot and self.synced.give_back(BOT_DATA, keep=True, failed=failed)
        if given and failed:  # nobody holds bot_data now: it is read afresh next time
            self.app.bot_data.clear()
        if loaded.user is not None and self.synced.give_back(loaded.user, failed=failed):
            self.app._user_data.pop(int(loaded.user[2:]), None)
        if loaded.chat is not None and self.synced.give_back(loaded.chat, failed=failed):
            self.app._chat_data.pop(int(loaded.chat[2:]), None)
        for conv in loaded.conversations:
            if not isinstance(conv.handler._conversations.get(conv.key), PendingState):
                conv.handler._conversations.pop(conv.key, None)


def _keyboard_uuids(update: Update) -> set[str]:
    """The keyboard uuids of the buttons ``update`` carries (callback data is uuid+uuid)."""
    out: set[str] = set()
    query = update.callback_query
    if query is not None and isinstance(query.data, str) and len(query.data) == 64:
        out.add(query.data[:32])
    for message in (
        update.effective_message,
        getattr(update.effective_message, "reply_to_message", None),
        getattr(update.effective_message, "pinned_message", None),
    ):
        markup = getattr(message, "reply_markup", None)
        for row in getattr(markup, "inline_keyboard", ()) or ():
            for button in row:
                data = button.callback_data
                if isinstance(data, str) and len(data) == 64:
                    out.add(data[:32])
    return out


def version_supported() -> bool:
    """True when the installed PTB is one whose private attributes the bridge was tested on."""
    import telegram

    version = tuple(telegram.__version_info__[:2])
    return SUPPORTED[0] <= version < SUPPORTED[1]


def _guard_timeouts() -> None:
    """Wrap ``ConversationHandler._trigger_timeout`` once, for the handlers of a bridge.

    A timeout job fires in the process that handled a conversation's step; when a later
    step ran in another process, the stored deadline moved on and the job does nothing.
    When the deadline did pass, PTB's TIMEOUT handlers run and the stored conversation ends.
    """
    original: Any = ConversationHandler._trigger_timeout
    if getattr(original, "tgserve_guard", False):
        return

    async def trigger_timeout(self: ConversationHandler[Any], context: Any) -> None:
        bridge = next((b for b in _bridges if any(h is self for h, _ in b._named)), None)
        if bridge is None:
            return await original(self, context)  # type: ignore[no-any-return]
        key = context.job.data.conversation_key
        try:
            due = await bridge.timeout_due(self, key)
        except Exception:
            log.exception("conversation timeout: could not read the stored conversation")
            due = True
        if not due:
            async with self._timeout_jobs_lock:
                if self.timeout_jobs.get(key) is context.job:
                    del self.timeout_jobs[key]  # stale here: the conversation moved on
            return None
        await original(self, context)
        await bridge.timed_out(self, key)
        return None

    trigger_timeout.tgserve_guard = True  # type: ignore[attr-defined]
    ConversationHandler._trigger_timeout = trigger_timeout  # type: ignore[method-assign]

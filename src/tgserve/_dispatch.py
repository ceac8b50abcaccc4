"""Per-chat ordering with bounded concurrency.

Updates of one chat run one after another in arrival order; different chats run
concurrently, at most ``max_concurrency`` handlers at once. Every task started
here is tracked so the runtime can drain or cancel it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from tgserve._slots import Slots
from tgserve._update_types import KNOWN_UPDATE_TYPES

log = logging.getLogger("tgserve.dispatch")

ChatKey = tuple[str, int]
Job = Callable[[], Awaitable[Any]]
Done = Callable[[], None]

# the update types whose object has a ``chat``, and those keyed by their sender
_BY_CHAT = frozenset(n for n, w in KNOWN_UPDATE_TYPES.items() if w in ("message", "chat"))
_BY_SENDER = frozenset(n for n, w in KNOWN_UPDATE_TYPES.items() if w == "sender")


def chat_key(update: dict[str, Any]) -> ChatKey | None:
    """The conversation an update belongs to: its chat, else its user; ``None`` if neither
    (a poll's new state, an update type not in :mod:`tgserve._update_types`)."""
    for name, body in update.items():  # update_id and the one object: two steps
        if not isinstance(body, dict):
            continue
        if name in _BY_CHAT:
            key = _chat_of(body)
        elif name in _BY_SENDER:
            key = _sender_of(body)
        else:
            continue
        if key is not None:
            return key
    return None


def _chat_of(body: dict[str, Any]) -> ChatKey | None:
    chat = body.get("chat")
    if isinstance(chat, dict) and type(chat.get("id")) is int:
        return ("chat", chat["id"])
    return None


def _sender_of(body: dict[str, Any]) -> ChatKey | None:
    message = body.get("message")  # a callback's message, when it has one
    if isinstance(message, dict):
        key = _chat_of(message)
        if key is not None:
            return key
    user = body.get("from") or body.get("user")
    if isinstance(user, dict) and type(user.get("id")) is int:
        return ("user", user["id"])
    voter = body.get("voter_chat")  # an anonymous poll answer, on behalf of a chat
    if isinstance(voter, dict) and type(voter.get("id")) is int:
        return ("chat", voter["id"])
    return None


class ChatScheduler:
    """Runs jobs in per-chat order under a concurrency bound; tracks every task it starts."""

    def __init__(self, max_concurrency: int) -> None:
        self._slots = Slots(max_concurrency)
        self._chats: dict[ChatKey, deque[tuple[Job, Done | None]]] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.pending = 0  # jobs submitted and not finished
        self.running = 0  # jobs inside a handler now

    def submit(self, key: ChatKey | None, job: Job, done: Done | None = None) -> None:
        """Queue ``job`` behind earlier jobs of the same chat; ``done()`` is called once the
        job ends, however it ends (also when it is abandoned at a drain)."""
        self.pending += 1
        if key is None:
            self._spawn(self._run(job, done))
            return
        queue = self._chats.get(key)
        if queue is not None:
            queue.append((job, done))
            return
        self._chats[key] = deque(((job, done),))
        self._spawn(self._drain(key))

    async def _drain(self, key: ChatKey) -> None:
        queue = self._chats[key]
        slots = self._slots
        try:
            while queue:
                job, done = queue[0]
                try:
                    if not slots.take():
                        await slots.wait()
                    self.running += 1  # inlined _run: one coroutine less per update
                    try:
                        await job()
                    finally:
                        self.running -= 1
                        slots.release()
                finally:
                    queue.popleft()
                    self.pending -= 1
                    if done is not None:
                        done()
        finally:
            # on cancellation the jobs left behind are abandoned: count them out
            self.pending -= len(queue)
            for _, done in queue:
                if done is not None:
                    done()
            del self._chats[key]

    async def _run(self, job: Job, done: Done | None) -> None:
        slots = self._slots
        try:
            if not slots.take():
                await slots.wait()
            self.running += 1
            try:
                await job()
            finally:
                self.running -= 1
                slots.release()
        finally:
            self.pending -= 1
            if done is not None:
                done()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)  # ensure_future's checks: not needed
        self.tasks.add(task)
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("dispatch task failed", exc_info=task.exception())

    async def drain(self, grace: float) -> int:
        """Wait up to ``grace`` seconds for every job; cancel what is left; return how many."""
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=grace)
        left = set(self.tasks)
        cut = self.pending
        for task in left:
            task.cancel()
        if left:
            await asyncio.gather(*left, return_exceptions=True)
        return cut if left else 0

"""The time an update's handler has left to send its replies, seen by every send it makes.

The runtime opens a :func:`scope` around each handler; the governor reads it through a
context variable, which reaches the handler's own tasks too. A send with no scope
(a broadcast, a job) is a bulk send, and yields to replies.
"""

from __future__ import annotations

import contextvars
import dataclasses


@dataclasses.dataclass(slots=True)
class Budget:
    """``deadline``: a ``loop.time()`` instant, or ``None`` (the governor's ``wait`` bounds
    it). ``short``: set when a send could not get its budget in time, with the wait it needed."""

    deadline: float | None
    short: float | None = None


_current: contextvars.ContextVar[Budget | None] = contextvars.ContextVar(
    "tgserve_send_budget", default=None
)


def current() -> Budget | None:
    """The budget of the update whose handler is running, or ``None`` for a bulk send."""
    return _current.get()


class scope:
    """Run a handler's sends as replies, within ``deadline`` (``with scope(d) as budget``).

    A class rather than a generator: it is entered once per update."""

    __slots__ = ("_token", "budget")

    def __init__(self, deadline: float | None) -> None:
        self.budget = Budget(deadline)

    def __enter__(self) -> Budget:
        self._token = _current.set(self.budget)
        return self.budget

    def __exit__(self, *exc: object) -> None:
        _current.reset(self._token)


class HandBack(Exception):
    """Queue mode: the update could not send in its lease; the queue delivers it again
    after ``delay`` s instead of the worker sleeping past its lease."""

    def __init__(self, delay: float) -> None:
        super().__init__(f"send budget exhausted; handed back for {delay:.1f}s")
        self.delay = delay

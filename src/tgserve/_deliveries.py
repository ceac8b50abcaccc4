"""What a handler can ask about the update it runs: :func:`current_delivery`."""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
from collections.abc import Iterator


@dataclasses.dataclass(frozen=True, slots=True)
class UpdateDelivery:
    """Which update the current handler runs, which attempt this is (1 first), and
    ``fence``: the fencing token of the polling lock held when it was fetched.

    ``fence`` grows with every acquisition of the lock, so a bot that writes to a store of
    its own can reject a stale poller's write: keep the largest fence seen beside the
    record and refuse a write whose fence is smaller (a compare-and-set). It is ``None``
    when the update was not polled under a lock, or the lock backend has no token
    (PostgreSQL advisory locks).
    """

    update_id: int
    attempt: int
    fence: int | None = None


_current: contextvars.ContextVar[UpdateDelivery | None] = contextvars.ContextVar(
    "tgserve_delivery", default=None
)


def current_delivery() -> UpdateDelivery | None:
    """The update the calling handler runs, polled or queued; ``None`` elsewhere."""
    return _current.get()


@contextlib.contextmanager
def delivering(delivery: UpdateDelivery | None) -> Iterator[None]:
    """Make ``delivery`` the :func:`current_delivery` inside the block."""
    token = _current.set(delivery)
    try:
        yield
    finally:
        _current.reset(token)

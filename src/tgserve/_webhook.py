"""The request path of every host, written once: head, then body or error, then answer.

An HTTP host does only I/O and translation around these steps::

    step = webhook.head(request)           # ReadBody, or the verdict already
    if isinstance(step, ReadBody):
        raw = ...                          # the host reads at most step.limit bytes: bytes,
        step = webhook.body(raw)           # None past the limit, or Unreadable("why")
    response = webhook.answer_now(step) or await webhook.answer(step)   # on the bot's loop

A request the host cannot make a :class:`~tgserve._gate.Request` of at all (a Lambda event
of no known shape) is :meth:`Webhook.unreadable`'s verdict, answered the same way.

Polling goes the same way without HTTP: :meth:`Webhook.polled` judges a getUpdates answer
by the body step's rule, and :meth:`Webhook.update` handles each update to completion.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from tgserve import _queries as queries
from tgserve._gate import (
    Gate,
    Query,
    ReadBody,
    Request,
    Response,
    Unreadable,
    Update,
    Verdict,
    check_update,
    unreadable,
)
from tgserve._runtime import Runtime

if TYPE_CHECKING:
    from tgserve._deliveries import UpdateDelivery
    from tgserve._processing import Outcome

__all__ = ["ReadBody", "Unreadable", "Webhook"]

log = logging.getLogger("tgserve.polling")


class Webhook:
    """One runtime's request path."""

    __slots__ = ("gate", "runtime")

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.gate = Gate(runtime.config)

    def head(self, request: Request) -> ReadBody | Verdict:
        """Step 1, no I/O: the verdict the head decides, or :class:`ReadBody`."""
        return self.gate.check_head(request)

    def body(self, raw: bytes | Unreadable | None) -> Verdict:
        """Step 2, no I/O: the verdict on the body read (``None``: it passed the limit)."""
        return self.gate.check_body(raw)

    def unreadable(self, reason: str) -> Verdict:
        """Instead of step 1, no I/O: the verdict on a request the host could not read."""
        return unreadable(Unreadable(reason))

    def answer_now(self, verdict: Verdict) -> Response | None:
        """The answer when it needs no loop (liveness), else ``None``: then :meth:`answer`."""
        return queries.answer_now(verdict) if isinstance(verdict, Query) else None

    async def answer(self, verdict: Verdict, *, deadline: float | None = None) -> Response:
        """Step 3, on the runtime's loop: process the update, answer the query, or count the
        refusal. ``deadline``: see :meth:`tgserve._processing.Updates.accept`."""
        if isinstance(verdict, Update):
            return await self.runtime.accept(verdict.data, deadline=deadline)
        if isinstance(verdict, Query):
            return await queries.answer(self.runtime, verdict)
        self.runtime.counts[f"rejected_{verdict.status}"] += 1
        return verdict

    # polling: the same rule and the same processing, without HTTP -------------------

    def polled(self, result: Any) -> list[dict[str, Any]]:
        """Step 2 for polling, no I/O: the items of a getUpdates answer that are updates, by
        the body step's rule; the others are refused as a webhook refuses them (counted as
        ``rejected_400``, one log line each) and never handled."""
        updates: list[dict[str, Any]] = []
        for item in result if isinstance(result, list) else ():
            verdict = check_update(item)
            if isinstance(verdict, Update):
                updates.append(verdict.data)
            else:
                self.runtime.counts[f"rejected_{verdict.status}"] += 1
                log.warning("getUpdates returned something that is not an update; skipped")
        return updates

    async def update(self, data: dict[str, Any], delivery: UpdateDelivery | None = None) -> Outcome:
        """Step 3 for polling, on the runtime's loop: dedup and handle one polled update to
        completion in its chat's order (the poller moves its offset by the outcome);
        ``delivery`` is what the handler's ``current_delivery()`` answers."""
        return await self.runtime.updates.process(data, delivery)

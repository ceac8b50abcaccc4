"""The request path of every HTTP host, written once: head, then body or error, then answer.

A host does only I/O and translation around these steps::

    step = webhook.head(request)           # ReadBody, or the verdict already
    if isinstance(step, ReadBody):
        raw = ...                          # the host reads at most step.limit bytes: bytes,
        step = webhook.body(raw)           # None past the limit, or its own error Response
    response = webhook.answer_now(step) or await webhook.answer(step)   # on the bot's loop

:meth:`Webhook.handle` runs the same steps for a request whose body is read already.
"""

from __future__ import annotations

from tgserve import _queries as queries
from tgserve._gate import Gate, Query, ReadBody, Request, Response, Update, Verdict
from tgserve._runtime import Runtime

__all__ = ["ReadBody", "Webhook"]


class Webhook:
    """One runtime's request path."""

    __slots__ = ("gate", "runtime")

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.gate = Gate(runtime.config)

    def head(self, request: Request) -> ReadBody | Verdict:
        """Step 1, no I/O: the verdict the head decides, or :class:`ReadBody`."""
        return self.gate.check_head(request)

    def body(self, raw: bytes | Response | None) -> Verdict:
        """Step 2, no I/O: the verdict on the body read (``None``: it passed the limit)."""
        return self.gate.check_body(raw)

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

    async def handle(self, request: Request) -> Response:
        """All three steps for a request whose body is read already."""
        verdict = self.gate.check(request)
        return self.answer_now(verdict) or await self.answer(verdict)

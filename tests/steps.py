"""The request path's steps run by a test as an HTTP host runs them, for a request whose
body is at hand: head, then body, then the answer (src has no such all-in-one entry)."""

from __future__ import annotations

from tgserve._gate import ReadBody, Request, Response, Verdict
from tgserve._webhook import Webhook


def verdict(webhook: Webhook, request: Request) -> Verdict:
    """Steps 1 and 2: the head's verdict, else the body's."""
    step = webhook.head(request)
    return webhook.body(request.body) if isinstance(step, ReadBody) else step


async def respond(webhook: Webhook, request: Request) -> Response:
    """All three steps, the answer on the running loop."""
    step = verdict(webhook, request)
    return webhook.answer_now(step) or await webhook.answer(step)

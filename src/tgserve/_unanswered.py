"""When the bot's loop runs in another thread than the request (WSGI's loop thread): how
long a request waits for the loop's answer, and what it is answered when none comes.

The policy is here once; a host only runs the call on the loop and says what went wrong
(:class:`Fault`). The statuses are those of docs/design.md: ``/readyz`` is 503 unless the
loop answers within :data:`READY_TIMEOUT`; an update the loop cannot take is 503 with
``Retry-After``, so Telegram delivers it again.
"""

from __future__ import annotations

import enum

from tgserve._config import Config
from tgserve._gate import Query, Response, Verdict, error

READY_TIMEOUT = 1.0  # /readyz: ready when the loop answers within a second
SLACK = 10.0  # seconds past inline_timeout before a request gives up waiting
DEPLOYMENT_WAIT = READY_TIMEOUT + SLACK  # many bots' queries: /readyz starts every new bot


class Fault(enum.Enum):
    """Why the loop gave no answer."""

    DEAD = "dead"  # the loop thread had died (the host starts another for what follows)
    LATE = "late"  # no answer within the wait
    FAILED = "failed"  # the call could not run on the loop, or raised


RETRY = (("retry-after", "1"),)
_UPDATE = {
    Fault.LATE: error(503, "the bot's loop did not answer in time", RETRY),
    Fault.FAILED: error(503, "the bot's loop could not take the request", RETRY),
}
_READINESS = {
    Fault.DEAD: error(503, "the loop thread was dead; restarted"),
    Fault.FAILED: error(503, "readiness check failed"),
}


def patience(verdict: Verdict, config: Config) -> float:
    """How long a request waits for the loop's answer to ``verdict``."""
    if verdict is Query.READYZ:
        return READY_TIMEOUT
    return config.inline_timeout + SLACK if config.ack == "inline" else SLACK


def unanswered(verdict: Verdict, fault: Fault, waited: float) -> Response | None:
    """The answer to ``verdict`` when the loop gave none (it waited ``waited`` seconds);
    ``None`` when the fault does not decide it (a dead loop, for anything but readiness:
    the request goes to the loop started in its place)."""
    if verdict is Query.READYZ:
        if fault is Fault.LATE:
            return error(503, f"the loop did not answer within {waited:.0f}s")
        return _READINESS[fault]
    return _UPDATE.get(fault)

"""Fault injection: make the next calls of a method fail, drop, or time out."""

from __future__ import annotations

import dataclasses

from tgserve.emulator._errors import ApiError

_DESCRIPTIONS = {
    400: "Bad Request: injected fault",
    403: "Forbidden: bot was blocked by the user",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


@dataclasses.dataclass
class Fault:
    method: str
    remaining: int
    status: int = 500
    description: str | None = None
    retry_after: int | None = None
    drop: bool = False

    def error(self) -> ApiError:
        if self.retry_after is not None:
            return ApiError(
                self.status,
                self.description or f"Too Many Requests: retry after {self.retry_after}",
                {"retry_after": self.retry_after},
            )
        text = self.description or _DESCRIPTIONS.get(self.status, f"Error {self.status}")
        return ApiError(self.status, text)


class Faults:
    """Queued faults; each call of a matching method consumes one."""

    def __init__(self) -> None:
        self.pending: list[Fault] = []
        self.webhook_timeouts = 0

    def fail(
        self,
        method: str,
        times: int = 1,
        status: int = 500,
        *,
        description: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        """The next `times` calls of `method` ("*" for any) answer an error."""
        if retry_after is not None and status == 500:
            status = 429
        self.pending.append(Fault(method.lower(), times, status, description, retry_after))

    def drop(self, method: str, times: int = 1) -> None:
        """The next `times` calls of `method` get their connection closed, no answer."""
        self.pending.append(Fault(method.lower(), times, drop=True))

    def time_out_webhooks(self, times: int = 1) -> None:
        """The next `times` webhook deliveries count as timed out (the bot still gets them)."""
        self.webhook_timeouts += times

    def take(self, method: str) -> Fault | None:
        name = method.lower()
        for fault in self.pending:
            if fault.method in (name, "*"):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.pending.remove(fault)
                return fault
        return None

    def take_webhook_timeout(self) -> bool:
        if self.webhook_timeouts > 0:
            self.webhook_timeouts -= 1
            return True
        return False

    def clear(self) -> None:
        self.pending.clear()
        self.webhook_timeouts = 0

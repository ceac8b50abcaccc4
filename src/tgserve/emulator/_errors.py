"""The Bot API's error answer, raised by method implementations."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An answer `{"ok": false, "error_code": code, "description": ...}`."""

    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class Dropped(Exception):
    """The call's connection is to be closed without an answer (an injected fault)."""


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized")


def not_found(method: str | None = None) -> ApiError:
    """Telegram's 404; for a method the emulator lacks, the description names it."""
    if method is None:
        return ApiError(404, "Not Found")
    return ApiError(404, f"Not Found: method {method} is not emulated by tgserve's local Telegram")


def conflict(detail: str) -> ApiError:
    return ApiError(409, f"Conflict: {detail}")


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )

"""Users who blocked a bot: sends to their chat answer 403, as Telegram's do."""

from __future__ import annotations

from tgserve.emulator._errors import ApiError


class Blocks:
    """(bot id, user id) pairs; ``check`` raises the 403 Telegram answers."""

    def __init__(self) -> None:
        self.pairs: set[tuple[int, int]] = set()

    def block(self, bot_id: int, user_id: int) -> None:
        self.pairs.add((bot_id, user_id))

    def unblock(self, bot_id: int, user_id: int) -> None:
        self.pairs.discard((bot_id, user_id))

    def check(self, bot_id: int, chat_id: int) -> None:
        if (bot_id, chat_id) in self.pairs:
            raise ApiError(403, "Forbidden: bot was blocked by the user")

"""The benchmark's bot: does nothing, so the numbers are tgserve's and the store's."""

from __future__ import annotations

from typing import Any


async def handle(update: dict[str, Any], bot: Any) -> None:
    return None

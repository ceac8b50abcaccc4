"""The bot ``tgserve serve`` runs in the flood test: it answers nothing, quickly."""

from __future__ import annotations

from typing import Any


async def handle(update: dict[str, Any], bot: Any) -> None:
    return None

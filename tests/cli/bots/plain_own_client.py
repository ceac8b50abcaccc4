"""A plain bot that calls api.telegram.org with a client of its own, on every message."""

from typing import Any

import httpx


async def handle(update: dict[str, Any], bot: Any) -> None:
    async with httpx.AsyncClient(trust_env=False, timeout=5) as http:
        await http.post("https://api.telegram.org/bot1:x/sendMessage", json={"text": "hi"})

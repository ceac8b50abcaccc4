"""One replica of a webhook bot: ``python -m tests.webhook_setup.replica PORT``; options from
the environment (TGSERVE_WEBHOOK_URL, TGSERVE_STORE, TGSERVE_API_URL, ...)."""

from __future__ import annotations

import sys
from typing import Any

import uvicorn

import tgserve


async def handle(update: dict[str, Any], bot: tgserve.BotAPI) -> None:
    return None


if __name__ == "__main__":
    app = tgserve.asgi(handle)
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", lifespan="on")

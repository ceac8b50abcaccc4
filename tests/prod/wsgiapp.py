"""A plain bot as a bare WSGI app, for gunicorn in the tests/prod tests."""

from __future__ import annotations

from typing import Any

import tgserve
from tgserve._botapi import BotAPI


async def handle(update: dict[str, Any], bot: BotAPI) -> None:
    return None


app = tgserve.wsgi(handle)

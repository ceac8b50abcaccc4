"""Small helpers for calling the emulator over HTTP."""

from __future__ import annotations

from typing import Any

import httpx

from tgserve.emulator import Emulator


async def call(
    client: httpx.AsyncClient, tg: Emulator, method: str, token: str | None = None, **params: Any
) -> tuple[int, dict[str, Any]]:
    """POST `params` as JSON; return the status and the answer."""
    response = await client.post(f"{tg.api_url}/bot{token or tg.token}/{method}", json=params)
    body: dict[str, Any] = response.json()
    return response.status_code, body


async def ok(client: httpx.AsyncClient, tg: Emulator, method: str, **params: Any) -> Any:
    status, body = await call(client, tg, method, **params)
    assert status == 200 and body["ok"] is True, body
    return body["result"]

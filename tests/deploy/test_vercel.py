"""deploy/vercel: vercel.json against its documented keys, and api/index.py's ASGI app (what
Vercel's Python runtime serves) answering after the update is handled, within the limit."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from tests.conftest import SECRET, TOKEN
from tgserve.testing import BotAPIStub, serve

pytestmark = pytest.mark.timeout(60)
VERCEL = Path(__file__).resolve().parents[2] / "deploy" / "vercel"
# vercel.json's documented top-level properties (project configuration reference)
KEYS = {
    "$schema", "functions", "rewrites", "routes", "headers", "redirects", "regions",
    "cleanUrls", "trailingSlash", "buildCommand", "installCommand", "framework",
    "outputDirectory", "crons", "public", "github", "git",
}  # fmt: skip
FUNCTION_KEYS = {"maxDuration", "memory", "runtime", "includeFiles", "excludeFiles"}


def config() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VERCEL / "vercel.json").read_text())
    return data


def test_vercel_json_uses_documented_keys() -> None:
    data = config()
    assert set(data) <= KEYS, set(data) - KEYS
    assert "routes" not in data or "rewrites" not in data  # Vercel refuses both at once
    for pattern, settings in data["functions"].items():
        assert (VERCEL / pattern).is_file(), pattern
        assert set(settings) <= FUNCTION_KEYS
    for rule in data["rewrites"]:
        assert set(rule) == {"source", "destination"}
        assert (VERCEL / f"{rule['destination'].lstrip('/')}.py").is_file()


def load_index(monkeypatch: pytest.MonkeyPatch, api_url: str) -> ModuleType:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TGSERVE_SECRET_TOKEN", SECRET)
    monkeypatch.setenv("TGSERVE_API_URL", api_url)
    spec = importlib.util.spec_from_file_location("vercel_index", VERCEL / "api" / "index.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    return module


async def test_index_answers_after_handling_within_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stub = BotAPIStub()
    async with serve(stub) as api_url:
        app = load_index(monkeypatch, api_url).app
        limit = config()["functions"]["api/index.py"]["maxDuration"]
        assert app.runtime.config.ack == "inline"
        assert app.runtime.config.inline_timeout <= limit - 1  # time left to answer
        headers = {"x-telegram-bot-api-secret-token": SECRET}
        update = {"update_id": 1, "message": {"chat": {"id": 3}, "text": "hi"}}
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                reply = await client.post("/webhook", headers=headers, json=update)
                assert reply.status_code == 200
                assert [c.params["text"] for c in stub.sent()] == ["hi"]  # before the answer
                assert (await client.post("/webhook", json=update)).status_code == 401
                assert (await client.get("/readyz")).status_code == 200
        finally:
            await app.runtime.stop()

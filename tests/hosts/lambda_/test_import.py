"""A plain bot's handler module, imported in a fresh interpreter, loads no framework,
server or database driver, nor what only other paths need (a cold start pays for each)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import TOKEN

pytestmark = pytest.mark.timeout(60)

HEAVY = ("telegram", "aiogram", "uvicorn", "starlette", "fastapi", "pydantic", "aiohttp")
DRIVERS = ("redis", "asyncpg", "psycopg", "psycopg2", "sqlite3", "_sqlite3")
# imported only where used: /metrics, decimal and UUID state values, queue leases, the
# PTB and aiogram adapters, the other hosts
ONLY_WHERE_USED = (
    "tgserve._metrics",
    "decimal",
    "uuid",
    "tgserve._bots.ptb",
    "tgserve._bots.aiogram",
    "tgserve._hosts.asgi",
    "tgserve._hosts.wsgi",
    "tgserve._hosts.polling",
)

MODULE = """
import tgserve

async def handle(update, bot):
    await bot.call("sendMessage", chat_id=update["message"]["chat"]["id"], text="hi")

handler = tgserve.aws_lambda(handle)
"""

PROBE = """
import json, sys
sys.path.insert(0, sys.argv[1])
import bot_module
event = {"httpMethod": "GET", "path": "/readyz"}
status = bot_module.handler(event, None)["statusCode"]
print(json.dumps({"status": status, "modules": sorted(sys.modules)}))
"""


def test_plain_handler_module_imports_no_framework_server_or_driver(tmp_path: Path) -> None:
    (tmp_path / "bot_module.py").write_text(MODULE)
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "PATH": "/usr/bin:/bin", "AWS_LAMBDA_FUNCTION_NAME": "t"}
    if "PYTHONPATH" in os.environ:  # the source under test, not the installed one
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=30,
    )
    result = json.loads(out.stdout)
    assert result["status"] == 200  # the bot started: the handler is usable, not just imported
    loaded = {name.split(".")[0] for name in result["modules"]}
    assert loaded.isdisjoint(HEAVY + DRIVERS), sorted(loaded & set(HEAVY + DRIVERS))
    assert "tgserve._hosts.aws_lambda" in result["modules"]
    assert set(result["modules"]).isdisjoint(ONLY_WHERE_USED), sorted(
        set(result["modules"]) & set(ONLY_WHERE_USED)
    )

"""On the local Telegram: a bot with webhook_url registers itself and gets its updates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest_servers import free_port
from tgserve import asgi
from tgserve._botapi import BotAPI
from tgserve._inloop import InLoopServer
from tgserve.emulator import Emulator


async def echo(update: dict[str, Any], bot: BotAPI) -> None:
    message = update.get("message")
    if message:
        await bot.call("sendMessage", chat_id=message["chat"]["id"], text=message["text"].upper())


async def test_a_bot_registers_its_own_webhook_and_a_restart_keeps_it(tmp_path: Path) -> None:
    async with Emulator() as tg:
        alice = tg.user("alice")
        port = free_port()
        options: dict[str, Any] = {
            "token": tg.token,
            "api_url": tg.api_url,
            "secret_token": "rotating-secret_1",
            "webhook_url": f"http://127.0.0.1:{port}/webhook",
            "store": f"sqlite:///{tmp_path}/bot.db",
            "allowed_updates": "message,chat_member",
        }
        for round_ in range(2):  # a deploy, then a restart with nothing changed
            app = asgi(echo, **options)
            server = InLoopServer(app, port=port, lifespan="on")
            await server.start()
            try:
                hook = tg.bot().webhook
                assert hook is not None and hook.url == options["webhook_url"]
                assert tg.bot().allowed_updates == ["message", "chat_member"]
                assert app.runtime.webhook is not None
                assert app.runtime.webhook.outcome == ("set" if round_ == 0 else "unchanged")
                await alice.send(f"hello {round_}")
                assert (await alice.chat.wait_for_text(f"HELLO {round_}")).text
            finally:
                await server.stop()
            assert tg.bot().webhook is not None  # a stop leaves the webhook in place

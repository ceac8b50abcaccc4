"""examples/echo.py, served by tgserve.asgi, talking to users through the emulator."""

from __future__ import annotations

from examples.echo import handle
from tgserve.emulator import Emulator


async def test_echo() -> None:
    async with Emulator(time_scale=0.01) as tg, tg.serve(handle):
        alice, bob = tg.user("alice"), tg.user("bob")
        await alice.send("hello")
        await bob.send("<b>not bold</b>")
        assert (await alice.chat.next_message()).text == "hello"
        reply = await bob.chat.next_message()
        assert reply.text == "<b>not bold</b>" and reply.entities == []
        await alice.send_photo(b"\x89PNG\r\n\x1a\n")
        await alice.send("again")
        assert (await alice.chat.next_message()).text == "again"

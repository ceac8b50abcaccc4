"""examples/echo.py, served by tgserve.asgi, talking to users through the emulator."""

from __future__ import annotations

from tests.examples.conftest import Loader
from tgserve.emulator import Emulator


async def test_echo(tg: Emulator, load_example: Loader) -> None:
    example = load_example("echo")
    async with tg.serve(example.handle):
        alice, bob = tg.user("alice"), tg.user("bob")
        await alice.send("hello")
        await bob.send("<b>not bold</b>")
        assert (await alice.chat.next_message()).text == "hello"
        reply = await bob.chat.next_message()
        assert reply.text == "<b>not bold</b>" and reply.entities == []
        await alice.send_photo(b"\x89PNG\r\n\x1a\n")
        await alice.send("again")
        assert (await alice.chat.next_message()).text == "again"

"""PTB's own examples, unmodified, driven to their ends across two runtimes taking turns.

Each runtime has its own Application built by the example's ``main()``, as two worker
processes would; every update goes to the other one (tests/state/alternate.py).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.state.alternate import alternating
from tests.state.peers import ptb_example
from tgserve.emulator import Emulator

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def tg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AsyncIterator[Emulator]:
    monkeypatch.chdir(tmp_path)  # the examples' PicklePersistence files land here
    async with Emulator(time_scale=0.01) as emulator:
        yield emulator


@pytest.fixture(autouse=True)
def keep_logging() -> Iterator[None]:
    """The examples call logging.basicConfig and quiet httpx at import; undo both."""
    root, httpx_logger = logging.getLogger(), logging.getLogger("httpx")
    handlers, level, httpx_level = list(root.handlers), root.level, httpx_logger.level
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
    httpx_logger.setLevel(httpx_level)


def two(tg: Emulator, name: str) -> list[tuple[Any, Any]]:
    return [(ptb_example(name, tg.token, tg.api_url), None) for _ in range(2)]


async def said(user: Any, text: str) -> str:
    await user.send(text)
    return str((await user.chat.next_message(timeout=10)).text)


async def pressed(user: Any, message: Any, button: str) -> str:
    await (await user.press(message, button)).answered()
    edited = await user.chat.next_edit(timeout=10)
    assert edited is message
    return str(message.text)


STORE = "sqlite:///state.db"


async def test_conversationbot(tg: Emulator) -> None:
    alice = tg.user("alice")
    async with alternating(tg, two(tg, "conversationbot"), store=STORE, ack="inline"):
        assert (await said(alice, "/start")).startswith("Hi! My name is Professor Bot.")
        assert (await said(alice, "Girl")).startswith("I see! Please send me a photo")
        assert (await said(alice, "/skip")).startswith("I bet you look great!")
        assert (await said(alice, "/skip")).startswith("You seem a bit paranoid!")
        assert await said(alice, "I like tea") == "Thank you! I hope we can talk again some day."


async def test_persistentconversationbot(tg: Emulator) -> None:
    alice = tg.user("alice")
    async with alternating(tg, two(tg, "persistentconversationbot"), store=STORE, ack="inline"):
        assert "I will hold a more complex conversation" in await said(alice, "/start")
        assert await said(alice, "Age") == "Your age? Yes, I would love to hear about that!"
        assert "\nage - 42\n" in await said(alice, "42")
        assert (await said(alice, "Favourite colour")).startswith("Your favourite colour?")
        assert "\nfavourite colour - blue\n" in await said(alice, "blue")
        final = await said(alice, "Done")
        assert final == (
            "I learned these facts about you: \nage - 42\nfavourite colour - blue\nUntil next time!"
        )
        again = await said(alice, "/start")
    assert "You already told me your age, favourite colour." in again


async def test_nestedconversationbot(tg: Emulator) -> None:
    alice = tg.user("alice")
    async with alternating(tg, two(tg, "nestedconversationbot"), store=STORE, ack="inline"):
        await alice.send("/start")
        hello = await alice.chat.next_message(timeout=10)
        assert hello.text.startswith("Hi, I'm Family Bot")
        menu = await alice.chat.next_message(timeout=10)
        assert menu.text.startswith("You may choose to add a family member")
        assert await pressed(alice, menu, "Add yourself") == "Okay, please tell me about yourself."
        assert await pressed(alice, menu, "Add info") == "Please select a feature to update."
        assert await pressed(alice, menu, "Name") == "Okay, tell me."
        await alice.send("Ann")
        features = await alice.chat.next_message(timeout=10)
        assert features.text == "Got it! Please select a feature to update."
        assert (await pressed(alice, features, "Done")).startswith("You may choose to add")
        shown = await pressed(alice, features, "Show data")
        assert "Yourself:\nName: Ann, Age: -" in shown
        assert (await pressed(alice, features, "Back")).startswith("You may choose to add")
        assert await pressed(alice, features, "Done") == "See you around!"


async def test_arbitrarycallbackdatabot(tg: Emulator) -> None:
    alice = tg.user("alice")
    async with alternating(tg, two(tg, "arbitrarycallbackdatabot"), store=STORE, ack="inline"):
        await alice.send("/start")
        message = await alice.chat.next_message(timeout=10)
        assert message.text == "Please choose:"
        for number, so_far in (("2", "[2]"), ("5", "[2, 5]"), ("1", "[2, 5, 1]")):
            text = await pressed(alice, message, number)
            assert text == f"So far you've selected {so_far}. Choose the next item:"

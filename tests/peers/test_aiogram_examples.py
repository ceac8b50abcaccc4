"""aiogram's own examples, unmodified, served by tgserve on the emulator.

Each test loads one example from aiogram's sdist (tests/peers/loader.py) and plays the
user to the example's end. Not run: echo_bot_webhook*, multibot and web_app (each is its
own aiohttp web server, not a bot on the Bot API).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.peers.loader import adapter_has, examples, load_aiogram, served
from tgserve.emulator import Emulator, Message, User

NOT_ONLY_BOT_API = {"echo_bot_webhook", "echo_bot_webhook_ssl", "multibot", "web_app"}


@pytest.fixture
def where() -> Path:
    return examples("aiogram")


async def say(user: User, text: str, reply: str) -> Message:
    """Send `text`; the bot's next message must contain `reply`."""
    await user.send(text)
    message = await user.chat.next_message()
    assert reply in message.text, f"{text!r} -> {message.text!r}"
    return message


async def test_echo_bot(tg: Emulator, where: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bot = await load_aiogram(where / "echo_bot.py", tg, monkeypatch)
    alice = tg.user("alice")
    async with served(tg, bot):
        hello = await say(alice, "/start", "Hello, Alice!")
        assert hello.entities[0]["type"] == "bold"
        await say(alice, "copy me", "copy me")
        await alice.send_location(1.5, 2.5)
        copy = await alice.chat.next_message()
        assert copy.raw["location"] == {"latitude": 1.5, "longitude": 2.5}
        await alice.send_poll("Tea?", ["yes", "no"])
        assert (await alice.chat.next_message()).raw["poll"]["question"] == "Tea?"


async def test_multi_file_bot(tg: Emulator, where: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(where / "multi_file_bot"))
    for name in [m for m in sys.modules if m == "handlers" or m.startswith("handlers.")]:
        monkeypatch.delitem(sys.modules, name)
    bot = await load_aiogram(where / "multi_file_bot" / "bot.py", tg, monkeypatch)
    alice = tg.user("alice")
    async with served(tg, bot):
        await say(alice, "/start", "Hello, Alice!")
        await say(alice, "again", "again")
        await alice.send_dice("🎲")
        assert (await alice.chat.next_message()).raw["dice"]["emoji"] == "🎲"


async def test_finite_state_machine(
    tg: Emulator, where: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = await load_aiogram(where / "finite_state_machine.py", tg, monkeypatch)
    alice = tg.user("alice")
    async with served(tg, bot):
        await say(alice, "/start", "Hi there! What's your name?")
        asked = await say(alice, "Alice", "Nice to meet you, Alice!")
        assert asked.keyboard == [["Yes", "No"]]
        await say(alice, "maybe", "I don't understand you :(")
        await say(alice, "Yes", "Cool! I'm too!")
        await say(alice, "Python", "Python, you say?")
        summary = await alice.chat.next_message()
        assert "Alice" in summary.text and "Python" in summary.text
        await say(alice, "/start", "What's your name?")
        await say(alice, "cancel", "Cancelled.")


async def test_error_handling(tg: Emulator, where: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bot = await load_aiogram(where / "error_handling.py", tg, monkeypatch)
    alice = tg.user("alice")
    async with served(tg, bot):
        await say(alice, "/age 42", "Your age is 42")
        await say(alice, "/age", "Error caught: InvalidAge('No age provided.")
        await say(alice, "/age x", "Error caught: InvalidAge('Age should be a number')")
        await say(alice, "/name Bob", "Your name is Bob")
        await alice.send("/name")  # InvalidName: logged by the example's handler, no reply
        await say(alice, "/age 7", "Your age is 7")


async def test_specify_updates(tg: Emulator, where: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bot = await load_aiogram(where / "specify_updates.py", tg, monkeypatch)
    alice, bob = tg.user("alice"), tg.user("bob")
    team = tg.group("team", [alice])
    async with served(tg, bot):
        hello = await say(alice, "/start", "Hello, Alice!")
        press = await alice.press(hello, "Tap me, bro")
        assert (await press.answered())["text"] == "Yeah good, now I'm fine"
        await alice.edit(alice.chat.messages[0], "/start!")
        assert "Big Brother watches you" in (await alice.chat.next_message()).text
        await team.add_bot(alice, admin=True)  # no leave transition: the example stays quiet
        await bob.join(team)
        member = await team.chat.wait_for_text("was changed from left to member")
        assert str(bob.id) in member.text
        await team.remove_bot(alice)  # a leave transition: its message is refused (403)
        await tg.bot().signal.wait(0.2)
        assert [m.text for m in team.chat.bot_messages] == [member.text]


@pytest.mark.xfail(
    not adapter_has("tgserve._bots.aiogram", "isinstance(result, TelegramMethod)"),
    reason="tgserve's aiogram adapter must send a returned method (the firstrun branch does)",
    strict=True,
)
async def test_context_addition_from_filter(
    tg: Emulator, where: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = await load_aiogram(where / "context_addition_from_filter.py", tg, monkeypatch)
    alice = tg.user("alice")
    async with served(tg, bot):
        hello = await say(alice, "Hello", "Hello, Alice!")
        assert hello.entities[0]["type"] == "text_mention"


async def test_own_filter(tg: Emulator, where: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bot = await load_aiogram(where / "own_filter.py", tg, monkeypatch)
    alice = tg.user("alice")
    async with served(tg, bot):
        await alice.send("hello")  # the example's handler matches and does nothing (`...`)
        await alice.send("other")
        state = tg.bot()
        while state.updates:
            await alice.chat.conversation.signal.wait(0.05)
        assert state.last_error_message is None and alice.chat.bot_messages == []


async def test_quiz_scene(tg: Emulator, where: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bot = await load_aiogram(where / "quiz_scene.py", tg, monkeypatch)
    alice = tg.user("alice")
    async with served(tg, bot):
        await say(alice, "/start", "To start the quiz, use the /quiz command.")
        await say(alice, "/quiz", "Welcome to the quiz!")
        first = await alice.chat.next_message()
        assert first.text == "What is the capital of France?"
        assert ["🚫 Exit"] in first.keyboard
        await say(alice, "Paris", "What is the capital of Spain?")
        await say(alice, "🔙 Back", "Welcome to the quiz!")  # back to step 0: a fresh start
        assert (await alice.chat.next_message()).text == "What is the capital of France?"
        await say(alice, "Paris", "What is the capital of Spain?")
        for answer, nxt in [("Madrid", "Germany"), ("Rome", "England"), ("London", "Italy")]:
            await say(alice, answer, f"What is the capital of {nxt}?")
        summary = await say(alice, "Rome", "Your answers:")
        assert "Correct: 4" in summary.text and "Incorrect: 1" in summary.text


async def test_scene(tg: Emulator, where: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bot = await load_aiogram(where / "scene.py", tg, monkeypatch)
    alice = tg.user("alice")
    async with served(tg, bot):
        demo = await say(alice, "/demo", "Demo started")
        await alice.press(demo, "Go to form")
        await alice.chat.wait_for_text("What's your name?")
        await alice.send("Alice")
        await alice.chat.wait_for_text("Nice to meet you, Alice!")
        await alice.chat.wait_for_text("Did you like to write bots?")
        await alice.send("Yes")
        await alice.chat.wait_for_text("Cool! I'm too!")
        await alice.chat.wait_for_text("What language do you prefer?")
        await alice.send("Rust")
        done = await alice.chat.wait_for_text("you like to write bots with Rust")
        assert "Alice" in done.text


async def test_stars_invoice(tg: Emulator, where: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bot = await load_aiogram(where / "stars_invoice.py", tg, monkeypatch)
    alice = tg.user("alice")
    async with served(tg, bot):
        await alice.send("/start")
        invoice = await alice.chat.next_message()
        assert invoice.raw["invoice"]["currency"] == "XTR"
        assert invoice.raw["invoice"]["total_amount"] == 42
        paid = await alice.pay(invoice)
        charge = paid.raw["successful_payment"]["telegram_payment_charge_id"]
        await alice.chat.wait_for_text("Thanks. Your payment has been refunded.")
        assert tg.world.charges[charge].refunded


async def test_without_dispatcher(
    tg: Emulator, where: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = tg.user("alice")
    args = ["without_dispatcher.py", "--token", tg.token, "--chat-id", str(alice.id)]
    monkeypatch.setattr(sys, "argv", [*args, "-m", "<b>Hello</b> from aiogram"])
    with pytest.raises(AssertionError, match="did not start polling"):
        await load_aiogram(where / "without_dispatcher.py", tg, monkeypatch)
    sent = await alice.chat.next_message()
    assert sent.text == "Hello from aiogram" and sent.entities[0]["type"] == "bold"


def test_examples_all_accounted_for(where: Path) -> None:
    """Every example is run above or named as not needing only the Bot API."""
    run = {name.removeprefix("test_") for name in globals() if name.startswith("test_")}
    found = {p.stem for p in where.glob("*.py")} | {
        p.name for p in where.iterdir() if p.is_dir() and p.name != "data"
    }
    assert found - run - NOT_ONLY_BOT_API == set()

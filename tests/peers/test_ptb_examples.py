"""python-telegram-bot's own examples, unmodified, served by tgserve on the emulator.

Each test loads one example from PTB's sdist (tests/peers/loader.py) and plays the user
to the example's end. Not run: customwebhookbot/* (they are their own web servers),
passportbot (Telegram Passport) and rawapibot (no Application: its own getUpdates loop).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from tests.peers.loader import adapter_has, examples, load_ptb, served
from tgserve.emulator import Emulator, Message, User

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a5f40000000049454e44ae426082"
)


@pytest.fixture
def where() -> Path:
    return examples("python-telegram-bot")


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # PicklePersistence writes its file in the working directory


async def say(user: User, text: str, reply: str) -> Message:
    """Send `text`; the bot's next message must contain `reply`."""
    await user.send(text)
    message = await user.chat.next_message()
    assert reply in message.text, f"{text!r} -> {message.text!r}"
    return message


async def test_echobot(tg: Emulator, where: Path) -> None:
    bot = await load_ptb(where / "echobot.py", tg)
    alice = tg.user("alice")
    async with served(tg, bot):
        hi = await say(alice, "/start", "Hi Alice!")
        assert hi.entities[0]["type"] == "text_mention"
        await say(alice, "/help", "Help!")
        await say(alice, "echo me", "echo me")


async def test_inlinekeyboard(tg: Emulator, where: Path) -> None:
    bot = await load_ptb(where / "inlinekeyboard.py", tg)
    alice = tg.user("alice")
    async with served(tg, bot):
        menu = await say(alice, "/start", "Please choose:")
        assert menu.buttons == [["Option 1", "Option 2"], ["Option 3"]]
        press = await alice.press(menu, "Option 2")
        await press.answered()
        assert (await alice.chat.next_edit()).text == "Selected option: 2"
        await say(alice, "/help", "Use /start to test this bot.")


PER_MESSAGE = "ignore:If 'per_message=False'"  # the example's own upstream warning


@pytest.mark.filterwarnings(PER_MESSAGE)
async def test_inlinekeyboard2(tg: Emulator, where: Path) -> None:
    bot = await load_ptb(where / "inlinekeyboard2.py", tg)
    alice = tg.user("alice")
    async with served(tg, bot):
        menu = await say(alice, "/start", "Start handler, Choose a route")
        for button, text in [
            ("1", "First CallbackQueryHandler"),
            ("3", "Third CallbackQueryHandler"),
            ("Nah, I've had enough ...", "See you next time!"),
        ]:
            await alice.press(menu, button)
            assert text in (await alice.chat.next_edit()).text


@pytest.mark.xfail(
    not adapter_has("tgserve._bots.ptb", "insert_callback_data"),
    reason="tgserve's PTB adapter must call insert_callback_data (the state branch does)",
    strict=True,
)
async def test_arbitrarycallbackdatabot(tg: Emulator, where: Path) -> None:
    bot = await load_ptb(where / "arbitrarycallbackdatabot.py", tg)
    alice = tg.user("alice")
    async with served(tg, bot):
        keyboard = await say(alice, "/start", "Please choose:")
        await alice.press(keyboard, "2")
        assert "So far you've selected [2]" in (await alice.chat.next_edit()).text
        await alice.press(keyboard, "5")
        assert "[2, 5]" in (await alice.chat.next_edit()).text
        await say(alice, "/clear", "All clear!")
        await alice.press(keyboard, "1")
        assert "could not process this button" in (await alice.chat.next_edit()).text
        await say(alice, "/help", "Use /start to test this bot.")


async def test_contexttypesbot(tg: Emulator, where: Path) -> None:
    bot = await load_ptb(where / "contexttypesbot.py", tg)
    alice = tg.user("alice")
    async with served(tg, bot):
        button = await say(alice, "/start", "This button was clicked 0 times.")
        await alice.press(button, "Click me!")
        assert (await alice.chat.next_edit()).text == "This button was clicked 1 times."
        await alice.press(button, "Click me!")
        assert (await alice.chat.next_edit()).text == "This button was clicked 2 times."
        await say(alice, "/print_users", f"have used this bot: {alice.id}")


async def test_conversationbot(tg: Emulator, where: Path) -> None:
    bot = await load_ptb(where / "conversationbot.py", tg)
    alice = tg.user("alice")
    async with served(tg, bot):
        ask = await say(alice, "/start", "Are you a boy or a girl?")
        assert ask.keyboard == [["Boy", "Girl", "Other"]]
        await say(alice, "Girl", "send me a photo of yourself")
        await alice.send_photo(PNG)
        assert "Gorgeous!" in (await alice.chat.next_message()).text
        await alice.send_location(52.52, 13.40)
        assert "Maybe I can visit you" in (await alice.chat.next_message()).text
        await say(alice, "I like tea.", "Thank you! I hope we can talk again some day.")
        await say(alice, "/start", "Are you a boy or a girl?")
        await say(alice, "Boy", "send me a photo")
        await say(alice, "/skip", "I bet you look great!")
        await say(alice, "/skip", "You seem a bit paranoid!")
        await say(alice, "/cancel", "Bye!")


async def test_conversationbot2(tg: Emulator, where: Path) -> None:
    bot = await load_ptb(where / "conversationbot2.py", tg)
    alice = tg.user("alice")
    async with served(tg, bot):
        await say(alice, "/start", "Doctor Botter")
        await say(alice, "Age", "Your age? Yes, I would love to hear about that!")
        await say(alice, "33", "Neat!")
        await say(alice, "Something else...", "please send me the category first")
        await say(alice, "Tea", "Your tea?")
        await say(alice, "green", "Tea - green")
        done = await say(alice, "Done", "I learned these facts about you:")
        assert "Age - 33" in done.text and "Until next time!" in done.text


async def test_persistentconversationbot(tg: Emulator, where: Path) -> None:
    bot = await load_ptb(where / "persistentconversationbot.py", tg)
    alice = tg.user("alice")
    async with served(tg, bot):
        await say(alice, "/start", "Doctor Botter")
        await say(alice, "Favourite colour", "Your favourite colour?")
        await say(alice, "blue", "Neat!")
    again = await load_ptb(where / "persistentconversationbot.py", tg)
    async with served(tg, again):  # a new process of the bot: the pickle file remembers
        await say(alice, "/show_data", "favourite colour - blue")
        await say(alice, "Done", "Until next time!")


@pytest.mark.filterwarnings(PER_MESSAGE)
async def test_nestedconversationbot(tg: Emulator, where: Path) -> None:
    bot = await load_ptb(where / "nestedconversationbot.py", tg)
    alice = tg.user("alice")
    async with served(tg, bot):
        await say(alice, "/start", "Hi, I'm Family Bot")
        menu = await alice.chat.next_message()
        steps = [
            ("Add family member", "You may add a parent or a child"),
            ("Add parent", "Please choose, whom to add."),
            ("Add Father", "Please select a feature to update."),
            ("Name", "Okay, tell me."),
        ]
        for button, text in steps:
            await alice.press(menu, button)
            menu = await alice.chat.next_edit()
            assert text in menu.text, (button, menu.text)
        await alice.send("Homer")
        menu = await alice.chat.next_message()
        assert menu.text == "Got it! Please select a feature to update."
        await alice.press(menu, "Done")
        assert "You may add a parent" in (await alice.chat.next_edit()).text
        await alice.press(menu, "Show data")
        assert "Father: Name: Homer, Age: -" in (await alice.chat.next_edit()).text
        await say(alice, "/stop", "Okay, bye.")


async def test_deeplinking(tg: Emulator, where: Path) -> None:
    bot = await load_ptb(where / "deeplinking.py", tg)
    alice = tg.user("alice")
    async with served(tg, bot):
        link = await say(alice, "/start", "https://t.me/test_bot?startgroup=check-this-out")
        assert link.entities
        masked = await say(alice, "/start so-cool", "mask the deep-linked URLs as links")
        assert masked.entities[-1]["url"] == "https://t.me/test_bot?start=using-entities-here"
        level3 = await say(alice, "/start using-entities-here", "InlineKeyboardButtons")
        press = await alice.press(level3, "Like this!")
        assert (await press.answered())["url"] == "https://t.me/test_bot?start=using-keyboard-here"
        await say(alice, "/start using-keyboard-here", "This is as deep as it gets")
        team = tg.group("team", [alice])
        await alice.send("/start check-this-out", chat=team)
        assert "hidden functionality" in (await team.chat.next_message()).text


async def test_errorhandlerbot(tg: Emulator, where: Path) -> None:
    developer = User(tg, tg.world.add_user("Dev", "dev", user_id=123456789))
    bot = await load_ptb(where / "errorhandlerbot.py", tg)
    alice = tg.user("alice")
    dev_chat = developer.chat
    async with served(tg, bot):
        await say(alice, "/start", "Use /bad_command to cause an error.")
        await alice.send("/bad_command")
        report = await dev_chat.next_message()
        assert "An exception was raised while handling an update" in report.text
        assert "ZeroDivisionError" in report.text or "Error" in report.text


async def test_timerbot(tg: Emulator, where: Path) -> None:
    bot = await load_ptb(where / "timerbot.py", tg)
    alice = tg.user("alice")
    async with served(tg, bot):
        await say(alice, "/start", "Use /set <seconds> to set a timer")
        await say(alice, "/set 0.3", "Timer successfully set!")
        assert (await alice.chat.next_message()).text == "Beep! 0.3 seconds are over!"
        await say(alice, "/set 30", "Timer successfully set!")
        await say(alice, "/unset", "Timer successfully cancelled!")
        await say(alice, "/set", "Usage: /set <seconds>")


async def test_inlinebot(tg: Emulator, where: Path) -> None:
    bot = await load_ptb(where / "inlinebot.py", tg)
    alice = tg.user("alice")
    async with served(tg, bot):
        await say(alice, "/start", "Hi!")
        await say(alice, "/help", "Help!")
        query = await alice.inline("hello")
        results = await query.results()
        assert [r["title"] for r in results] == ["Caps", "Bold", "Italic"]
        caps = await query.choose(results[0]["id"])
        assert caps.text == "HELLO" and caps.raw["via_bot"]["username"] == "test_bot"
        query = await alice.inline("world")
        bold = await query.choose((await query.results())[1]["id"])
        assert bold.text == "world" and bold.entities[0]["type"] == "bold"


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # upstream's
async def test_pollbot(tg: Emulator, where: Path) -> None:
    bot = await load_ptb(where / "pollbot.py", tg)
    alice, bob, carol = tg.user("alice"), tg.user("bob"), tg.user("carol")
    team = tg.group("team", [alice, bob, carol])
    async with served(tg, bot):
        await say(alice, "/start", "Please select /poll to get a Poll")
        await alice.send("/poll", chat=team)
        poll = await team.chat.next_message()
        assert poll.raw["poll"]["question"] == "How are you?"
        for user, option in ((alice, "Good"), (bob, "Great"), (carol, "Fantastic")):
            await user.vote(poll, option)
            feels = await team.chat.next_message()
            assert f"{user.name} feels {option}!" == feels.text
        closed = await team.chat.next_edit()
        assert closed.raw["poll"]["is_closed"]
        await alice.send("/quiz", chat=team)
        quiz = await team.chat.next_message()
        for user in (alice, bob, carol):
            await user.vote(quiz, "4")
        closed = await team.chat.next_edit()
        assert closed.raw["poll"]["is_closed"] and closed.raw["poll"]["total_voter_count"] == 3
        preview = await say(alice, "/preview", "Press the button to let the bot generate a preview")
        assert preview.keyboard == [["Press me!"]]
        await alice.send_poll("Tea or coffee?", ["tea", "coffee"])
        copy = await alice.chat.next_message()
        assert copy.raw["poll"]["question"] == "Tea or coffee?"
        await say(alice, "/help", "Use /quiz, /poll or /preview to test this bot.")


async def test_chatmemberbot(tg: Emulator, where: Path) -> None:
    bot = await load_ptb(where / "chatmemberbot.py", tg)
    alice, bob = tg.user("alice"), tg.user("bob")
    team = tg.group("team", [alice])
    async with served(tg, bot):
        await say(alice, "hi", "Welcome Alice. Use /show_chats to see what chats I'm in.")
        await team.remove_bot(alice)
        await team.add_bot(alice, admin=True)
        await bob.join(team)
        welcome = await team.chat.wait_for_text("was added by")
        assert welcome.text.startswith("Bob was added by Bob")
        await bob.leave(team)
        gone = await team.chat.wait_for_text("is no longer with us")
        assert "Bob is no longer with us" in gone.text
        chats = await say(alice, "/show_chats", "is currently in a conversation with the user IDs")
        assert str(team.id) in chats.text and str(alice.id) in chats.text


async def test_paymentbot(tg: Emulator, where: Path) -> None:
    bot = await load_ptb(where / "paymentbot.py", tg)
    alice = tg.user("alice")
    async with served(tg, bot):
        await say(alice, "/start", "Use /shipping to receive an invoice with shipping included")
        await alice.send("/shipping")
        invoice = await alice.chat.next_message()
        assert invoice.raw["invoice"]["title"] == "Payment Example"
        paid = await alice.pay(invoice)
        assert paid.raw["successful_payment"]["shipping_option_id"] == "1"
        assert (await alice.chat.next_message()).text == "Thank you for your payment."
        await alice.send("/noshipping")
        invoice = await alice.chat.next_message()
        paid = await alice.pay(invoice)
        assert paid.raw["successful_payment"]["invoice_payload"] == "Custom-Payload"
        assert (await alice.chat.next_message()).text == "Thank you for your payment."


async def test_webappbot(tg: Emulator, where: Path) -> None:
    bot = await load_ptb(where / "webappbot.py", tg)
    alice = tg.user("alice")
    async with served(tg, bot):
        opened = await say(alice, "/start", "choose a color via the WebApp")
        assert opened.keyboard == [["Open the color picker!"]]
        data = {"hex": "#ff0000", "rgb": {"r": 255, "g": 0, "b": 0}}
        await alice.send_web_app_data(json.dumps(data), "Open the color picker!")
        reply = await alice.chat.next_message()
        assert "#ff0000" in reply.text and "(255, 0, 0)" in reply.text


def test_examples_all_accounted_for(where: Path) -> None:
    """Every example file is run above or named as not needing only the Bot API."""
    run = {name.removeprefix("test_") for name in globals() if name.startswith("test_")}
    skipped = {"passportbot", "rawapibot"}
    found = {p.stem for p in where.glob("*.py")}
    assert found - run - skipped == set()
    _ = asyncio  # the module's tests are all async

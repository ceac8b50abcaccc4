"""examples/expenses_ptb.py (PTB) through tgserve.asgi and the emulator."""

from __future__ import annotations

from tests.examples.conftest import Loader
from tgserve.emulator import Emulator


async def test_expenses(tg: Emulator, load_example: Loader) -> None:
    example = load_example("expenses_ptb")
    alice, bob = tg.user("alice"), tg.user("bob")
    async with tg.serve(example.application):
        await alice.send("/start")
        assert "I keep your expenses" in (await alice.chat.next_message()).text
        await alice.send("/add 12.50 lunch")
        assert (await alice.chat.next_message()).text == "Added 12.50 (lunch)."
        await alice.send("/add twelve")
        assert (await alice.chat.next_message()).text.startswith("Usage: /add")
        await alice.send("/new")
        assert (await alice.chat.next_message()).text == "How much? (/cancel to stop)"
        await alice.send("lots")
        assert "not an amount" in (await alice.chat.next_message()).text
        await alice.send("4,20")
        assert (await alice.chat.next_message()).text == "What for?"
        await bob.send("/expenses")
        assert (await bob.chat.next_message()).text.startswith("No expenses yet")
        await alice.send("coffee")
        assert (await alice.chat.next_message()).text == "Saved 4.20 (coffee)."
        await alice.send("/expenses")
        listing = await alice.chat.next_message()
        assert listing.text == "12.50 lunch\n4.20 coffee\nTotal: 16.70"
        await alice.send("/new")
        await alice.chat.next_message()
        await alice.send("/cancel")
        assert (await alice.chat.next_message()).text == "Cancelled."
    example.application.bot_data["ledger"].db.close()

"""examples/price_aiogram.py (aiogram) through tgserve.asgi and the emulator."""

from __future__ import annotations

from tests.examples.conftest import Loader
from tgserve.emulator import Emulator


async def test_price_with_refresh(tg: Emulator, load_example: Loader) -> None:
    example = load_example("price_aiogram")
    alice = tg.user("alice")
    try:
        async with tg.serve(example.dp, bot=example.bot):
            await alice.send("/price doge")
            assert (await alice.chat.next_message()).text.startswith("Unknown symbol")
            await alice.send("/price btc")
            quote = await alice.chat.next_message()
            assert quote.text.startswith("BTC: ") and quote.buttons == [["Refresh"]]
            before = quote.text
            press = await alice.press(quote, "Refresh")
            assert (await press.answered())["text"] == "Updated"
            assert (await alice.chat.next_edit()) is quote
            assert quote.text != before and quote.text.startswith("BTC: ")
            assert quote.buttons == [["Refresh"]]
    finally:
        await example.bot.session.close()

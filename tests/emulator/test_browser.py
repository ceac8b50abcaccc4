"""The browser chat in real headless Chromium: history, inline buttons, live edits, escaping."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tgserve.botapi import BotAPI
from tgserve.emulator import Emulator

if TYPE_CHECKING:
    from playwright.async_api import Page, Request, Route

CHROMIUM = "/usr/bin/chromium"
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "chat.png"
pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"
)
KEYBOARD = {
    "inline_keyboard": [
        [
            {"text": "Like", "callback_data": "like"},
            {"text": "Refresh", "callback_data": "r"},
        ],
        [{"text": "Docs", "url": "https://core.telegram.org/bots/api"}],
    ]
}


async def handle(update: dict[str, Any], bot: BotAPI) -> None:
    """A small demo bot: a welcome with buttons, an echo, and edits on presses."""
    if "callback_query" in update:
        query = update["callback_query"]
        message = query["message"]
        await bot.call("answerCallbackQuery", callback_query_id=query["id"], text="Thanks!")
        text = "Liked — <i>thank you</i>" if query["data"] == "like" else "Refreshed ✓"
        await bot.call(
            "editMessageText",
            chat_id=message["chat"]["id"],
            message_id=message["message_id"],
            text=text,
            parse_mode="HTML",
            reply_markup=KEYBOARD,
        )
        return
    message = update["message"]
    chat_id = message["chat"]["id"]
    if message.get("text") == "/start":
        await bot.call(
            "sendMessage",
            chat_id=chat_id,
            text="Welcome, <b>Alice</b>! Here is <code>tgserve</code> on a local Telegram.",
            parse_mode="HTML",
            reply_markup=KEYBOARD,
        )
    else:
        await bot.call("sendMessage", chat_id=chat_id, text=f"You said: {message.get('text')}")


@contextlib.asynccontextmanager
async def chromium_page() -> AsyncIterator[Page]:
    """A page in a fresh headless Chromium; a script error on it fails the test."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            page = await browser.new_page(viewport={"width": 960, "height": 760})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            yield page
            assert errors == []
        finally:
            await browser.close()


async def test_browser_chat(tg: Emulator, tmp_path: Path) -> None:
    alice = tg.user("alice")
    async with tg.serve(handle), chromium_page() as page:
        await page.goto(tg.url)
        await page.locator("nav button", has_text="Alice").wait_for()
        await alice.send("/start")
        history = page.locator("#history")
        await history.get_by_text("Welcome,").wait_for()
        assert await history.locator("b", has_text="Alice").count() == 1

        await page.fill("#text", "<script>window.__pwned = 1</script>")
        await page.click("#composer button")
        echo = history.locator(".msg", has_text="You said: <script>")
        await echo.wait_for()
        assert (
            await alice.chat.next_message()
        ).text == "Welcome, Alice! Here is tgserve on a local Telegram."
        assert await page.evaluate("window.__pwned === undefined")
        assert await history.locator("script").count() == 0

        await page.get_by_role("button", name="Like").click()
        await history.get_by_text("Liked").wait_for()
        await page.locator("#toast", has_text="Thanks!").wait_for()
        assert await history.locator(".meta", has_text="edited").count() == 1
        welcome = await alice.chat.wait_for_text("Liked")
        assert welcome.buttons == [["Like", "Refresh"], ["Docs"]]
        await page.fill("#text", "Nice! Mark-up stays text: <b>not bold</b>")
        await page.press("#text", "Enter")
        await history.get_by_text("You said: Nice!").wait_for()
        counts = page.locator("#runtime", has_text="received 4 · handled 4")
        await counts.wait_for(timeout=5000)  # the page polls the bot's GET {path}
        assert (await counts.inner_text()).startswith("plain bot, running")
        await page.wait_for_timeout(2600)  # let the toast fade before the picture
        picture = await page.screenshot(path=str(tmp_path / "chat.png"))
        assert picture.startswith(b"\x89PNG")
        if os.environ.get("TGSERVE_UPDATE_SCREENSHOTS") or not SCREENSHOT.exists():
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            SCREENSHOT.write_bytes(picture)


async def test_live_message_survives_a_slower_history_load(tg: Emulator) -> None:
    """A reply pushed live while the history loads stays shown when the older snapshot lands."""
    alice = tg.user("alice")
    async with tg.serve(handle), chromium_page() as page:
        await page.goto(tg.url)
        history = page.locator("#history")
        await alice.send("first")
        await history.get_by_text("You said: first").wait_for()

        async def stale_history(route: Route) -> None:
            snapshot = await route.fetch()  # taken now, before "second" exists
            await alice.send("second")
            await alice.chat.wait_for_text("You said: second")
            await asyncio.sleep(0.3)  # the live event reaches the page meanwhile
            await route.fulfill(response=snapshot)

        await page.route("**/_emulator/messages?*", stale_history)
        reload_done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def finished(request: Request) -> None:
            if "/_emulator/messages" in request.url and not reload_done.done():
                reload_done.set_result(None)

        page.on("requestfinished", finished)
        await page.locator("nav button", has_text="Alice").click()  # reloads the history
        await asyncio.wait_for(reload_done, 10)
        await page.wait_for_timeout(200)
        assert await history.locator(".msg", has_text="You said: second").count() == 1
        assert await history.locator(".msg", has_text="You said: first").count() == 1

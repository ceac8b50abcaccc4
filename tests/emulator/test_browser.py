"""The browser chat in real headless Chromium: history, inline buttons, live edits, escaping,
the layout from a phone's width to a desktop's, the title and the icon."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.emulator.chat_scene import (
    CHROMIUM,
    HAS_CHROMIUM,
    WIDTHS,
    chromium_page,
    clipped,
    converse,
    handle,
)
from tgserve.emulator import Emulator

if TYPE_CHECKING:
    from playwright.async_api import Request, Route

pytestmark = pytest.mark.skipif(
    not HAS_CHROMIUM, reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"
)


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
        await page.click("#composer button[type=submit]")
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
        picture = await page.screenshot(path=str(tmp_path / "chat.png"))  # never into docs/
        assert picture.startswith(b"\x89PNG")


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


async def test_no_control_is_cut_off_from_360_to_1920_px(tg: Emulator) -> None:
    """At every width every control is on screen, whole, and on one line."""
    widths = sorted({360, 1100, 1200, *(w for w, _ in WIDTHS.values())})
    async with tg.serve(handle), chromium_page(widths[0], 720) as page:
        await converse(tg, page)
        await page.locator("#runtime", has_text="received 3").wait_for(timeout=5000)
        problems = {}
        for width in widths:
            await page.set_viewport_size({"width": width, "height": 720})
            await page.wait_for_timeout(50)
            problems[width] = await clipped(page)
        assert problems == {width: [] for width in widths}


async def test_title_names_the_bot_and_groups_count_members(tg: Emulator) -> None:
    alice, bob = tg.user("alice"), tg.user("bob")
    tg.group("Friends", [alice])
    tg.group("Team", [alice, bob])
    async with tg.serve(handle), chromium_page() as page:
        await page.goto(tg.url)
        await page.locator("#chat-name", has_text="Test Bot").wait_for()
        assert await page.inner_text("#chat-kind") == "bot · chat with Alice"
        nav = page.locator("nav")
        assert await nav.locator("button", has_text="Friends").inner_text() == (
            "Friends\ngroup · 1 member"
        )
        await nav.locator("button", has_text="Team").click()
        await page.locator("#chat-name", has_text="Team").wait_for()
        assert await page.inner_text("#chat-kind") == "group · 2 members"


async def test_the_page_asks_for_no_missing_file(tg: Emulator) -> None:
    """No 404 in the page's own requests, the icon included; /favicon.ico is an icon."""
    async with chromium_page() as page:
        failed: list[str] = []
        page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
        await page.goto(tg.url)
        await page.wait_for_load_state("networkidle")
        assert failed == []
    async with httpx.AsyncClient(trust_env=False) as http:
        icon = await http.get(f"{tg.url}/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content.startswith(b"\x00\x00\x01\x00")  # an ICO file

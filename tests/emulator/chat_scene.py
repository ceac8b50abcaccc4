"""The browser chat in headless Chromium: a demo bot, a page at a given width, and a
check that no control is cut off. Shared by tests/emulator/test_browser.py and
``python -m tests.emulator.screenshots``."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from tgserve._botapi import BotAPI

if TYPE_CHECKING:
    from playwright.async_api import Page

    from tgserve.emulator import Emulator

CHROMIUM = "/usr/bin/chromium"
HAS_CHROMIUM = os.path.exists(CHROMIUM)
WIDTHS = {"phone": (390, 760), "laptop": (1152, 720), "desktop": (1920, 1000)}
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
    message = update.get("message")
    if not message:
        return
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
async def chromium_page(width: int = 960, height: int = 760) -> AsyncIterator[Page]:
    """A page in a fresh headless Chromium; a script error on it fails the caller."""
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
            page = await browser.new_page(viewport={"width": width, "height": height})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            yield page
            assert errors == []
        finally:
            await browser.close()


async def converse(tg: Emulator, page: Page) -> None:
    """Alice starts the bot, writes to it, and likes its welcome, as a person would."""
    alice = tg.user("alice")
    await page.goto(tg.url)
    await page.locator("nav button", has_text="Alice").wait_for()
    await alice.send("/start")
    history = page.locator("#history")
    await history.get_by_text("Welcome,").wait_for()
    await page.get_by_role("button", name="Like").click()
    await history.get_by_text("Liked").wait_for()
    await page.fill("#text", "Nice! Mark-up stays text: <b>not bold</b>")
    await page.press("#text", "Enter")
    await history.get_by_text("You said: Nice!").wait_for()


# Every visible control (and label) is inside the viewport and shows all of its content,
# labels and buttons keep to one line, and the page itself never scrolls sideways.
_CLIPPED = """() => {
  const out = [];
  const width = document.documentElement.clientWidth;
  const height = document.documentElement.clientHeight;
  if (document.documentElement.scrollWidth > width) out.push(`page scrolls sideways`);
  const controls = document.querySelectorAll(
    "header > *, header label, header select, header button, #title, #composer > *, nav button");
  for (const el of controls) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || getComputedStyle(el).visibility === "hidden") continue;
    const text = (el.textContent || "").trim().slice(0, 20);
    const name = `${el.tagName.toLowerCase()}#${el.id}.${el.className} "${text}"`;
    if (box.left < -0.5 || box.right > width + 0.5 || box.bottom > height + 0.5 || box.top < -0.5)
      out.push(`${name} outside the viewport`);
    if (el.tagName !== "SELECT" && el.tagName !== "INPUT" && el.scrollWidth > el.clientWidth + 1)
      out.push(`${name} cut off`);
    if (el.matches("header label, header button, header .brand, #composer > *")) {
      // on one line: the boxes of its text and of its controls share a horizontal band
      const inner = [...el.querySelectorAll("select, input, button")];
      const boxes = inner.map((c) => c.getBoundingClientRect());
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      for (let text = walker.nextNode(); text; text = walker.nextNode()) {
        if (text.parentElement.closest("select") || !text.textContent.trim()) continue;
        const range = document.createRange();
        range.selectNodeContents(text);
        boxes.push(...range.getClientRects());
      }
      boxes.splice(0, boxes.length, ...boxes.filter((b) => b.width > 0));
      const lowestTop = Math.max(...boxes.map((b) => b.top));
      const highestBottom = Math.min(...boxes.map((b) => b.bottom));
      if (boxes.length && lowestTop >= highestBottom) out.push(`${name} wraps`);
    }
  }
  return out;
}"""


async def clipped(page: Page) -> list[str]:
    """What :data:`_CLIPPED` finds wrong with the page as it is now (empty when all fits)."""
    found: list[str] = await page.evaluate(_CLIPPED)
    return found

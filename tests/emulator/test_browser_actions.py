"""What a person does in the browser chat beyond text, in real headless Chromium: share a
location, vote in a poll, edit their own message, pay an invoice in Stars, type `@bot query`
and pick a result, add the bot to a group and remove it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.emulator.chat_scene import CHROMIUM, HAS_CHROMIUM, chromium_page
from tgserve._botapi import BotAPI
from tgserve.emulator import Emulator

if TYPE_CHECKING:
    from playwright.async_api import Dialog, Page

pytestmark = pytest.mark.skipif(
    not HAS_CHROMIUM, reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"
)


@pytest.fixture
async def actions(tg: Emulator) -> Emulator:
    """The emulator, once it has the control API's user actions (POST /_emulator/vote ...)."""
    async with httpx.AsyncClient(trust_env=False) as http:
        probe = await http.post(f"{tg.url}/_emulator/vote", json={})
    if probe.status_code == 404:
        pytest.skip("this emulator has no user-action routes in its control API")
    return tg


async def handle(update: dict[str, Any], bot: BotAPI) -> None:
    """A bot that answers every action with a line saying what it saw."""

    async def say(chat_id: int, text: str) -> None:
        await bot.call("sendMessage", chat_id=chat_id, text=text)

    if "inline_query" in update:
        query = update["inline_query"]
        results = [
            {
                "type": "article",
                "id": "hello",
                "title": f"Hello {query['query']}",
                "description": "a greeting",
                "input_message_content": {"message_text": f"Hello {query['query']}!"},
            }
        ]
        await bot.call("answerInlineQuery", inline_query_id=query["id"], results=results)
    elif "pre_checkout_query" in update:
        query = update["pre_checkout_query"]
        await bot.call("answerPreCheckoutQuery", pre_checkout_query_id=query["id"], ok=True)
    elif "poll_answer" in update:
        answer = update["poll_answer"]
        await say(answer["user"]["id"], f"You chose {answer['option_ids']}")
    elif "edited_message" in update:
        edited = update["edited_message"]
        await say(edited["chat"]["id"], f"Edited to {edited['text']}")
    elif "my_chat_member" in update:
        change = update["my_chat_member"]
        if change["new_chat_member"]["status"] == "member":
            await say(change["chat"]["id"], "Thanks for adding me")
    elif "message" in update:
        message = update["message"]
        chat_id = message["chat"]["id"]
        if "location" in message:
            await say(chat_id, f"You are at {message['location']['latitude']:.4f}")
        elif "successful_payment" in message:
            await say(chat_id, f"Thanks for {message['successful_payment']['total_amount']} stars")
        elif message.get("text") == "/poll":
            await bot.call(
                "sendPoll",
                chat_id=chat_id,
                question="Lunch?",
                options=[{"text": "Pizza"}, {"text": "Sushi"}],
                is_anonymous=False,
            )
        elif message.get("text") == "/buy":
            await bot.call(
                "sendInvoice",
                chat_id=chat_id,
                title="Coffee",
                description="A cup, in Stars",
                payload="coffee-1",
                currency="XTR",
                prices=[{"label": "Coffee", "amount": 50}],
            )


def answer_prompts(page: Page, *values: str) -> None:
    """Accept the page's next prompts with ``values``, in order."""
    pending = list(values)

    async def accept(dialog: Dialog) -> None:
        await dialog.accept(pending.pop(0))

    page.on("dialog", accept)


async def test_a_person_shares_votes_edits_pays_and_queries_inline(actions: Emulator) -> None:
    tg = actions
    alice = tg.user("alice")
    async with tg.serve(handle), chromium_page(420, 760) as page:
        await page.goto(tg.url)
        history = page.locator("#history")
        await page.locator("nav button", has_text="Alice").wait_for()
        answer_prompts(page, "51.5007, -0.1246", "hello there")

        await page.click("#more")  # the ⋯ menu
        await page.get_by_role("menuitem", name="Share location").click()
        await history.get_by_text("📍 51.50070, -0.12460").wait_for()
        await history.get_by_text("You are at 51.5007").wait_for()

        await alice.send("/poll")
        await page.locator(".poll .option", has_text="Pizza").click()
        await history.get_by_text("You chose [0]").wait_for()
        assert await page.locator(".poll .option", has_text="Pizza").inner_text() == "Pizza\n100%"
        await page.locator(".poll .votes", has_text="1 vote").wait_for()

        await page.fill("#text", "helo there")
        await page.press("#text", "Enter")
        mine = history.locator(".msg.mine", has_text="helo there")
        await mine.get_by_role("button", name="Edit").click()
        await history.get_by_text("Edited to hello there").wait_for()
        await history.locator(".msg.mine", has_text="hello there").get_by_text("edited").wait_for()

        await alice.send("/buy")
        await page.get_by_role("button", name="Pay ⭐ 50").click()
        await history.get_by_text("✅ Paid ⭐ 50").wait_for()
        await history.get_by_text("Thanks for 50 stars").wait_for()

        await page.fill("#text", "@test_bot world")
        await page.locator("#inline-results .result", has_text="Hello world").click()
        sent = history.locator(".msg.mine", has_text="Hello world!")
        await sent.get_by_text("via @test_bot").wait_for()
        assert await page.locator("#inline-results").is_hidden()
        assert await page.input_value("#text") == ""


async def test_a_person_removes_the_bot_from_a_group_and_adds_it_back(actions: Emulator) -> None:
    tg = actions
    alice = tg.user("alice")
    tg.group("Friends", [alice])
    async with tg.serve(handle), chromium_page() as page:
        await page.goto(tg.url)
        await page.locator("nav button", has_text="Friends").click()
        await page.locator("#chat-name", has_text="Friends").wait_for()
        await page.click("#more")
        assert await page.get_by_role("menuitem", name="Add the bot").count() == 0
        await page.get_by_role("menuitem", name="Remove the bot from this group").click()
        await page.locator("#toast", has_text="The bot was removed from the group").wait_for()
        await page.click("#more")
        menu = page.locator("#actions-menu")
        assert await menu.get_by_role("menuitem", name="Remove the bot").count() == 0
        await menu.get_by_role("menuitem", name="Add the bot to this group").click()
        await page.locator("#history").get_by_text("Thanks for adding me").wait_for()

"""Every user action, through the Python API and through the control API.

The bot side is python-telegram-bot's own Bot on getUpdates, so each update the action
produces is parsed by PTB (a shape PTB cannot read fails here), and the bot answers
with PTB's methods where the action waits for it (inline queries, checkout).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from telegram import (
    Bot,
    ChatPermissions,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LabeledPrice,
    ReactionTypeEmoji,
    Update,
)

from tgserve.emulator import Emulator, Group, Message, User

JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffc0000b080001000101011100ffd9")


class Driver:
    """Does a user action one way: `python` (User methods) or `control` (HTTP routes)."""

    def __init__(self, way: str, tg: Emulator, http: httpx.AsyncClient) -> None:
        self.way, self.tg, self.http = way, tg, http

    async def post(self, action: str, **body: Any) -> dict[str, Any]:
        answer = await self.http.post(f"{self.tg.url}/_emulator/{action}", json=body)
        data: dict[str, Any] = answer.json()
        assert answer.status_code == 200 and data["ok"], data
        return data

    def _message(self, data: dict[str, Any]) -> Message:
        raw = data["message"]
        conv = self.tg.world.conversation(raw["bot_id"], raw["chat_id"])
        return conv.messages[raw["message"]["message_id"]]

    async def location(self, user: User, lat: float, lon: float) -> Message:
        if self.way == "python":
            return await user.send_location(lat, lon)
        data = await self.post("send_location", user_id=user.id, latitude=lat, longitude=lon)
        return self._message(data)

    async def venue(self, user: User) -> Message:
        args = (52.52, 13.40, "Cafe", "Main St 1")
        if self.way == "python":
            return await user.send_venue(*args)
        return self._message(
            await self.post(
                "send_venue",
                user_id=user.id,
                latitude=args[0],
                longitude=args[1],
                title=args[2],
                address=args[3],
            )
        )

    async def contact(self, user: User) -> Message:
        if self.way == "python":
            return await user.send_contact("+100", "Alice", user_id=user.id)
        return self._message(
            await self.post(
                "send_contact",
                user_id=user.id,
                phone_number="+100",
                first_name="Alice",
                contact_user_id=user.id,
            )
        )

    async def dice(self, user: User, emoji: str) -> Message:
        if self.way == "python":
            return await user.send_dice(emoji)
        return self._message(await self.post("send_dice", user_id=user.id, emoji=emoji))

    async def poll(self, user: User, chat: Group | None = None) -> Message:
        if self.way == "python":
            return await user.send_poll("Tea?", ["yes", "no"], chat=chat)
        target = {"chat_id": chat.id} if chat is not None else {}
        return self._message(
            await self.post(
                "send_poll", user_id=user.id, question="Tea?", options=["yes", "no"], **target
            )
        )

    async def vote(self, user: User, message: Message, option: int) -> None:
        if self.way == "python":
            await user.vote(message, option)
        else:
            await self.post(
                "vote",
                user_id=user.id,
                chat_id=message.chat_id,
                message_id=message.id,
                option_ids=[option],
            )

    async def edit(self, user: User, message: Message, text: str) -> None:
        if self.way == "python":
            await user.edit(message, text)
        else:
            await self.post("edit", user_id=user.id, message_id=message.id, text=text)

    async def react(self, user: User, message: Message, emoji: str) -> None:
        if self.way == "python":
            await user.react(message, emoji)
        else:
            await self.post("react", user_id=user.id, message_id=message.id, emoji=[emoji])

    async def add_bot(self, group: Group, by: User, admin: bool = False) -> None:
        if self.way == "python":
            await group.add_bot(by, admin=admin)
        else:
            await self.post("add_bot", user_id=by.id, chat_id=group.id, admin=admin)

    async def remove_bot(self, group: Group, by: User) -> None:
        if self.way == "python":
            await group.remove_bot(by)
        else:
            await self.post("remove_bot", user_id=by.id, chat_id=group.id)

    async def block(self, user: User) -> None:
        if self.way == "python":
            await user.block()
        else:
            await self.post("block_bot", user_id=user.id)

    async def join(self, user: User, group: Group) -> None:
        if self.way == "python":
            await user.join(group)
        else:
            await self.post("join", user_id=user.id, chat_id=group.id)

    async def leave(self, user: User, group: Group) -> None:
        if self.way == "python":
            await user.leave(group)
        else:
            await self.post("leave", user_id=user.id, chat_id=group.id)

    async def open_link(self, user: User, link: str) -> None:
        if self.way == "python":
            await user.open_invite_link(link)
        else:
            await self.post("open_invite_link", user_id=user.id, link=link)

    async def inline(self, user: User, query: str, bot: Bot) -> Message:
        """Type an inline query, let PTB answer it, choose the first result."""
        if self.way == "python":
            asked = await user.inline(query)
            await answer_inline(bot)
            assert [r["id"] for r in await asked.results()] == ["1"]
            return await asked.choose("1")
        started = await self.post("inline_query", user_id=user.id, query=query)
        await answer_inline(bot)
        qid = started["inline_query_id"]
        answer = await self.post("inline_results", inline_query_id=qid)
        assert answer["answer"]["results"][0]["id"] == "1"
        chosen = await self.post(
            "choose_inline_result", user_id=user.id, inline_query_id=qid, result_id="1"
        )
        return self._message(chosen)

    async def pay(self, user: User, invoice: Message) -> Message:
        if self.way == "python":
            return await user.pay(invoice)
        return self._message(await self.post("pay", user_id=user.id, message_id=invoice.id))

    async def web_app_data(self, user: User, data: str) -> Message:
        if self.way == "python":
            return await user.send_web_app_data(data, "Pick")
        return self._message(
            await self.post("web_app_data", user_id=user.id, data=data, button_text="Pick")
        )

    async def open_web_app(self, user: User) -> str:
        if self.way == "python":
            return user.open_web_app()
        return str((await self.post("open_web_app", user_id=user.id))["query_id"])


_offsets: dict[int, int] = {}


async def updates(bot: Bot, count: int = 1, allowed: list[str] | None = None) -> list[Update]:
    """The next `count` updates the bot gets (all types unless `allowed`)."""
    got: list[Update] = []
    kinds = allowed or list(Update.ALL_TYPES)
    for _ in range(20):
        offset = _offsets.get(id(bot), 0)
        batch = await bot.get_updates(offset=offset, timeout=1, allowed_updates=kinds)
        for update in batch:
            _offsets[id(bot)] = update.update_id + 1
        got.extend(batch)
        if len(got) >= count:
            return got
    raise AssertionError(f"expected {count} updates, got {got}")


async def answer_inline(bot: Bot) -> None:
    (update,) = await updates(bot)
    assert update.inline_query is not None and update.inline_query.query == "weather"
    result = InlineQueryResultArticle(
        "1", "Sunny", InputTextMessageContent("It is <b>sunny</b>", parse_mode="HTML")
    )
    await update.inline_query.answer([result])


@pytest.fixture(params=["python", "control"])
async def way(
    request: pytest.FixtureRequest, tg: Emulator, client: httpx.AsyncClient
) -> AsyncIterator[tuple[Driver, Bot]]:
    bot = Bot(tg.token, base_url=f"{tg.api_url}/bot", base_file_url=f"{tg.api_url}/file/bot")
    async with bot:
        # as on Telegram, getUpdates' allowed_updates stays set (chat_member, reactions ...)
        await bot.get_updates(timeout=0, allowed_updates=list(Update.ALL_TYPES))
        yield Driver(request.param, tg, client), bot
    _offsets.pop(id(bot), None)


async def test_places_contacts_and_dice(tg: Emulator, way: tuple[Driver, Bot]) -> None:
    driver, bot = way
    alice = tg.user("alice")
    await driver.location(alice, 48.85, 2.35)
    await driver.venue(alice)
    await driver.contact(alice)
    await driver.dice(alice, "🎯")
    got = [u.message for u in await updates(bot, 4)]
    assert got[0] and got[0].location and got[0].location.latitude == 48.85
    assert got[1] and got[1].venue and got[1].venue.title == "Cafe"
    assert got[2] and got[2].contact and got[2].contact.user_id == alice.id
    assert got[3] and got[3].dice and got[3].dice.emoji == "🎯" and 1 <= got[3].dice.value <= 6


async def test_bad_place_is_one_line_error(tg: Emulator, client: httpx.AsyncClient) -> None:
    alice = tg.user("alice")
    with pytest.raises(ValueError, match="latitude"):
        await alice.send_location(91, 0)
    answer = await client.post(
        f"{tg.url}/_emulator/send_location", json={"user_id": alice.id, "latitude": 1}
    )
    assert answer.status_code == 400 and answer.json()["error"] == "longitude is required"
    answer = await client.post(
        f"{tg.url}/_emulator/send_dice", json={"user_id": alice.id, "emoji": "x"}
    )
    assert answer.status_code == 400 and "dice emoji" in answer.json()["error"]


async def test_user_edits_their_message(tg: Emulator, way: tuple[Driver, Bot]) -> None:
    driver, bot = way
    alice = tg.user("alice")
    sent = await alice.send("helo")
    await driver.edit(alice, sent, "hello @bob_smith")
    first, edited = await updates(bot, 2)
    assert first.message and first.message.text == "helo"
    assert edited.edited_message and edited.edited_message.text == "hello @bob_smith"
    assert edited.edited_message.message_id == sent.id and edited.edited_message.edit_date
    assert edited.edited_message.entities[0].type == "mention"


async def test_polls_the_bot_sends_and_users_vote(tg: Emulator, way: tuple[Driver, Bot]) -> None:
    driver, bot = way
    alice, bob = tg.user("alice"), tg.user("bob")
    team = tg.group("team", [alice, bob])
    sent = await bot.send_poll(team.id, "Lunch?", ["pizza", "salad"], is_anonymous=False)
    assert sent.poll is not None and sent.poll.total_voter_count == 0
    message = team.chat.conversation.messages[sent.message_id]
    await driver.vote(alice, message, 1)
    answer, state = await updates(bot, 2)
    assert answer.poll_answer and answer.poll_answer.option_ids == (1,)
    assert answer.poll_answer.user and answer.poll_answer.user.id == alice.id
    assert state.poll and state.poll.options[1].voter_count == 1
    stopped = await bot.stop_poll(team.id, sent.message_id)
    assert stopped.is_closed and stopped.total_voter_count == 1
    with pytest.raises(LookupError, match="closed"):
        await bob.vote(message, 0)
    own = await driver.poll(alice, team)
    assert own.raw["poll"]["question"] == "Tea?"
    updates_after = await updates(bot, 2)
    assert updates_after[-1].message and updates_after[-1].message.poll


async def test_quiz_and_bad_polls(tg: Emulator) -> None:
    alice = tg.user("alice")
    bot = Bot(tg.token, base_url=f"{tg.api_url}/bot")
    async with bot:
        quiz = await bot.send_poll(
            alice.id, "2+2?", ["3", "4"], type="quiz", correct_option_ids=[1]
        )
        assert quiz.poll and quiz.poll.type == "quiz" and quiz.poll.correct_option_ids == (1,)
        message = alice.chat.conversation.messages[quiz.message_id]
        await alice.vote(message, "4")
        with pytest.raises(LookupError, match="cannot be changed"):
            await alice.vote(message, "3")
        from telegram.error import BadRequest

        with pytest.raises(BadRequest, match=r"(?i)2-12 options"):
            await bot.send_poll(alice.id, "one?", ["only"])


async def test_bot_added_removed_and_blocked(tg: Emulator, way: tuple[Driver, Bot]) -> None:
    driver, bot = way
    alice = tg.user("alice")
    team = tg.group("team", [alice])
    await driver.remove_bot(team, alice)
    (removed,) = await updates(bot)
    assert removed.my_chat_member and removed.my_chat_member.new_chat_member.status == "kicked"
    with pytest.raises(LookupError, match="not in this chat"):
        await alice.send("anyone?", chat=team)
    from telegram.error import Forbidden

    with pytest.raises(Forbidden, match="kicked from the supergroup chat"):
        await bot.send_message(team.id, "still here?")
    await driver.add_bot(team, alice, admin=True)
    added, service = await updates(bot, 2)
    assert added.my_chat_member and added.my_chat_member.old_chat_member.status == "kicked"
    assert added.my_chat_member.new_chat_member.status == "administrator"
    assert added.my_chat_member.from_user and added.my_chat_member.from_user.id == alice.id
    assert service.message and service.message.new_chat_members[0].id == bot.id
    assert (await bot.get_chat_member(team.id, bot.id)).status == "administrator"
    await driver.block(alice)
    (blocked,) = await updates(bot)
    assert blocked.my_chat_member and blocked.my_chat_member.chat.type == "private"
    assert blocked.my_chat_member.new_chat_member.status == "kicked"
    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_message(alice.id, "hello?")


async def test_members_join_leave_and_are_managed(tg: Emulator, way: tuple[Driver, Bot]) -> None:
    driver, bot = way
    alice, bob, carol = tg.user("alice"), tg.user("bob"), tg.user("carol")
    team = tg.group("team", [alice])
    from telegram.error import BadRequest

    with pytest.raises(BadRequest, match=r"(?i)not enough rights"):
        await bot.ban_chat_member(team.id, bob.id)
    await team.add_bot(alice, admin=True)
    await updates(bot, 1)
    await driver.join(bob, team)
    joined, hello = await updates(bot, 2)
    assert joined.chat_member and joined.chat_member.new_chat_member.user.id == bob.id
    assert joined.chat_member.new_chat_member.status == "member"
    assert hello.message and hello.message.new_chat_members[0].id == bob.id
    assert await bot.get_chat_member_count(team.id) == 3
    admins = await bot.get_chat_administrators(team.id)
    assert {a.status for a in admins} == {"creator", "administrator"}
    await bot.restrict_chat_member(team.id, bob.id, ChatPermissions(can_send_messages=False))
    assert (await bot.get_chat_member(team.id, bob.id)).status == "restricted"
    await driver.leave(bob, team)
    link = await bot.create_chat_invite_link(team.id, creates_join_request=True)
    await driver.open_link(carol, link.invite_link)
    got = await updates(bot, 4)
    request = got[-1].chat_join_request
    assert request and request.from_user.id == carol.id and request.invite_link
    await bot.approve_chat_join_request(team.id, carol.id)
    assert (await bot.get_chat_member(team.id, carol.id)).status == "member"
    await bot.ban_chat_member(team.id, carol.id)
    assert (await bot.get_chat_member(team.id, carol.id)).status == "kicked"
    await bot.unban_chat_member(team.id, carol.id)
    assert (await bot.get_chat_member(team.id, carol.id)).status == "left"


async def test_reactions_both_ways(tg: Emulator, way: tuple[Driver, Bot]) -> None:
    driver, bot = way
    alice = tg.user("alice")
    sent = await bot.send_message(alice.id, "rate me")
    message = alice.chat.conversation.messages[sent.message_id]
    await driver.react(alice, message, "👍")
    (update,) = await updates(bot)
    reaction = update.message_reaction
    assert reaction and reaction.new_reaction == (ReactionTypeEmoji("👍"),)
    assert reaction.user and reaction.user.id == alice.id
    assert await bot.set_message_reaction(alice.id, sent.message_id, "🔥")
    assert message.reactions["bot"] == [{"type": "emoji", "emoji": "🔥"}]


async def test_inline_query_answer_and_choice(tg: Emulator, way: tuple[Driver, Bot]) -> None:
    driver, bot = way
    alice = tg.user("alice")
    message = await driver.inline(alice, "weather", bot)
    assert message.text == "It is sunny" and message.raw["via_bot"]["id"] == bot.id
    via, chosen = await updates(bot, 2)
    assert via.message and via.message.via_bot and via.message.text == "It is sunny"
    assert chosen.chosen_inline_result and chosen.chosen_inline_result.result_id == "1"


async def test_stars_invoice_checkout_and_refund(tg: Emulator, way: tuple[Driver, Bot]) -> None:
    driver, bot = way
    alice = tg.user("alice")
    sent = await bot.send_invoice(
        alice.id, "Pro", "One month", "pro-1", "XTR", [LabeledPrice("Pro", 50)]
    )
    assert sent.invoice and sent.invoice.total_amount == 50 and sent.invoice.currency == "XTR"
    invoice = alice.chat.conversation.messages[sent.message_id]

    async def checkout() -> None:
        (query,) = await updates(bot)
        assert query.pre_checkout_query and query.pre_checkout_query.invoice_payload == "pro-1"
        await query.pre_checkout_query.answer(ok=True)

    paid, _ = await asyncio.gather(driver.pay(alice, invoice), checkout())
    payment = paid.raw["successful_payment"]
    assert payment["total_amount"] == 50 and payment["currency"] == "XTR"
    (update,) = await updates(bot)
    assert update.message and update.message.successful_payment
    charge = update.message.successful_payment.telegram_payment_charge_id
    assert await bot.refund_star_payment(alice.id, charge)
    from telegram.error import BadRequest

    with pytest.raises(BadRequest, match=r"(?i)charge_already_refunded"):
        await bot.refund_star_payment(alice.id, charge)


async def test_refused_checkout_and_bad_invoices(tg: Emulator, client: httpx.AsyncClient) -> None:
    from telegram.error import BadRequest

    from tgserve.emulator import PaymentRefused

    alice = tg.user("alice")
    bot = Bot(tg.token, base_url=f"{tg.api_url}/bot")
    async with bot:
        with pytest.raises(BadRequest, match=r"(?i)provider_token must be empty"):
            await bot.send_invoice(
                alice.id, "T", "D", "p", "XTR", [LabeledPrice("x", 1)], provider_token="t"
            )
        sent = await bot.send_invoice(alice.id, "T", "D", "p", "XTR", [LabeledPrice("x", 1)])
        invoice = alice.chat.conversation.messages[sent.message_id]

        async def refuse() -> None:
            (query,) = await updates(bot)
            assert query.pre_checkout_query
            await query.pre_checkout_query.answer(ok=False, error_message="sold out")

        with pytest.raises(PaymentRefused, match="sold out"):
            await asyncio.gather(alice.pay(invoice), refuse())
        task = asyncio.create_task(refuse())
        answer = await client.post(
            f"{tg.url}/_emulator/pay", json={"user_id": alice.id, "message_id": invoice.id}
        )
        await task
        assert answer.status_code == 400
        assert answer.json()["error"] == "the bot refused the payment: sold out"
        _offsets.pop(id(bot), None)


async def test_web_app_data_and_query(tg: Emulator, way: tuple[Driver, Bot]) -> None:
    driver, bot = way
    alice = tg.user("alice")
    await driver.web_app_data(alice, '{"color": "red"}')
    (update,) = await updates(bot)
    assert update.message and update.message.web_app_data
    assert update.message.web_app_data.data == '{"color": "red"}'
    query_id = await driver.open_web_app(alice)
    result = InlineQueryResultArticle("w", "Red", InputTextMessageContent("You chose red"))
    sent = await bot.answer_web_app_query(query_id, result)
    assert sent.inline_message_id
    assert alice.chat.messages[-1].text == "You chose red"


async def test_user_media_and_entities(tg: Emulator, client: httpx.AsyncClient) -> None:
    alice = tg.user("alice")
    photo = await alice.send_photo(JPEG)
    stored = tg.world.files[photo.raw["photo"][0]["file_id"]]
    assert stored.mime_type == "image/jpeg"
    voice = await alice.send_file(b"OggS\x00\x02", "voice")
    assert voice.raw["voice"]["mime_type"] == "audio/ogg"
    upload = await client.post(
        f"{tg.url}/_emulator/send_file",
        data={"user_id": str(alice.id), "kind": "video"},
        files={"file": ("clip.mp4", b"\x00\x00\x00\x18ftypmp42", "video/mp4")},
    )
    assert upload.status_code == 200 and upload.json()["message"]["message"]["video"]
    text = await alice.send("ping @bob_smith and mail a@b.cd /start@test_bot")
    assert [e["type"] for e in text.entities] == ["mention", "bot_command"]


async def test_press_refuses_data_on_no_button(tg: Emulator, client: httpx.AsyncClient) -> None:
    alice = tg.user("alice")
    bot = Bot(tg.token, base_url=f"{tg.api_url}/bot")
    async with bot:
        from telegram import InlineKeyboardButton, InlineKeyboardMarkup

        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="y")]])
        sent = await bot.send_message(alice.id, "sure?", reply_markup=markup)
    message = alice.chat.conversation.messages[sent.message_id]
    with pytest.raises(LookupError, match="no inline button 'n'"):
        await alice.press(message, "n")
    body = {"chat_id": alice.id, "user_id": alice.id, "message_id": sent.message_id, "data": "n"}
    answer = await client.post(f"{tg.url}/_emulator/press", json=body)
    assert answer.status_code == 400 and "carries 'n'" in answer.json()["error"]
    pressed = await client.post(f"{tg.url}/_emulator/press", json={**body, "data": "y"})
    assert pressed.status_code == 200 and pressed.json()["callback_query_id"]


async def test_action_routes_answer_bad_input_in_one_line(
    tg: Emulator, client: httpx.AsyncClient
) -> None:
    from tgserve.emulator._control_actions import ACTIONS

    alice = tg.user("alice")
    bodies: list[Any] = [
        {},
        {"user_id": "x"},
        {"user_id": alice.id, "chat_id": -5, "message_id": {"a": 1}},
        {"user_id": alice.id, "message_id": 99, "latitude": "n", "options": "no"},
        [1, 2],
    ]
    for name in ACTIONS:
        for i, body in enumerate(bodies):
            answer = await client.post(f"{tg.url}/_emulator/{name}", json=body)
            if answer.status_code == 200 and i in (2, 3):
                continue  # a valid request for this action (extra fields are ignored)
            error = answer.json().get("error", "")
            assert answer.status_code == 400, (name, body, answer.text)
            assert error and "\n" not in error and "Traceback" not in error, (name, error)

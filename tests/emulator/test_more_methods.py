"""The Bot API methods beyond text, called by PTB's and aiogram's own clients.

Each result is parsed by the framework (a shape it cannot read fails here) and checked
against what the user's chat shows.
"""

from __future__ import annotations

import pytest
from telegram import (
    Bot,
    InputMediaPhoto,
    InputMediaVideo,
    MenuButtonCommands,
    MenuButtonWebApp,
    WebAppInfo,
)
from telegram.error import BadRequest

from tgserve.emulator import Emulator

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a5f40000000049454e44ae426082"
)
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 16


def ptb(tg: Emulator) -> Bot:
    return Bot(tg.token, base_url=f"{tg.api_url}/bot", base_file_url=f"{tg.api_url}/file/bot")


async def test_media_places_and_dice(tg: Emulator) -> None:
    alice = tg.user("alice")
    async with ptb(tg) as bot:
        video = await bot.send_video(alice.id, MP4, caption="clip", width=640, height=360)
        assert video.video and video.video.width == 640 and video.caption == "clip"
        audio = await bot.send_audio(alice.id, b"ID3\x03", title="Song", performer="Band")
        assert audio.audio and audio.audio.title == "Song" and audio.audio.mime_type == "audio/mpeg"
        voice = await bot.send_voice(alice.id, b"OggS\x00", duration=3)
        assert voice.voice and voice.voice.file_size == 5
        gif = await bot.send_animation(alice.id, b"GIF89a\x01\x00\x01\x00")
        assert gif.animation and gif.document and gif.animation.width == 1
        sticker = await bot.send_sticker(alice.id, PNG)
        assert sticker.sticker and sticker.sticker.type == "regular"
        note = await bot.send_video_note(alice.id, MP4, length=240)
        assert note.video_note and note.video_note.length == 240
        again = await bot.send_video(alice.id, video.video.file_id)
        assert again.video and again.video.file_id == video.video.file_id
        album = await bot.send_media_group(
            alice.id, [InputMediaPhoto(PNG, caption="one"), InputMediaVideo(MP4)]
        )
        assert len(album) == 2 and album[0].media_group_id == album[1].media_group_id
        assert album[0].caption == "one" and album[1].video
        place = await bot.send_location(alice.id, 48.85, 2.35)
        assert place.location and place.location.longitude == 2.35
        venue = await bot.send_venue(alice.id, 48.85, 2.35, "Louvre", "Rue de Rivoli")
        assert venue.venue and venue.venue.title == "Louvre" and venue.location
        contact = await bot.send_contact(alice.id, "+33 1", "Mona")
        assert contact.contact and contact.contact.first_name == "Mona"
        dice = await bot.send_dice(alice.id, emoji="🎰")
        assert dice.dice and 1 <= dice.dice.value <= 64
        with pytest.raises(BadRequest, match=r"(?i)wrong emoji"):
            await bot.send_dice(alice.id, emoji="🍕")
        with pytest.raises(BadRequest, match=r"(?i)latitude"):
            await bot.send_location(alice.id, 100, 0)
        by_url = await bot.send_photo(alice.id, "https://example.test/cat.jpg")
        assert by_url.photo
        kinds = [
            m.raw.keys() & {"video", "audio", "voice", "sticker", "dice"}
            for m in alice.chat.bot_messages
        ]
        assert {"video"} in kinds and {"dice"} in kinds


async def test_edit_media_forward_copy_and_pin(tg: Emulator) -> None:
    alice, bob = tg.user("alice"), tg.user("bob")
    async with ptb(tg) as bot:
        photo = await bot.send_photo(alice.id, PNG, caption="before")
        edited = await bot.edit_message_media(
            InputMediaVideo(MP4, caption="after"), alice.id, photo.message_id
        )
        assert not isinstance(edited, bool) and edited.video and edited.caption == "after"
        assert not edited.photo and edited.edit_date
        said = await alice.send("forward this")
        forwarded = await bot.forward_message(bob.id, alice.id, said.id)
        assert forwarded.text == "forward this" and forwarded.forward_origin
        assert forwarded.forward_origin.sender_user.id == alice.id  # type: ignore[attr-defined]
        copied = await bot.copy_message(bob.id, alice.id, photo.message_id, caption="copy")
        copy = bob.chat.conversation.messages[copied.message_id]
        assert copy.raw["caption"] == "copy" and "video" in copy.raw
        assert "forward_origin" not in copy.raw
        many = await bot.forward_messages(bob.id, alice.id, [said.id, photo.message_id])
        assert len(many) == 2
        copies = await bot.copy_messages(bob.id, alice.id, [said.id])
        assert bob.chat.conversation.messages[copies[0].message_id].text == "forward this"
        with pytest.raises(BadRequest, match=r"(?i)message to forward not found"):
            await bot.forward_message(bob.id, alice.id, 999)
        assert await bot.pin_chat_message(alice.id, photo.message_id)
        assert alice.chat.conversation.pinned == [photo.message_id]
        assert await bot.unpin_chat_message(alice.id)
        assert alice.chat.conversation.pinned == []
        assert await bot.pin_chat_message(alice.id, said.id)
        assert await bot.unpin_all_chat_messages(alice.id)
        assert [e.kind for e in alice.chat.events].count("pin") == 2


async def test_profile_menu_button_and_invite_links(tg: Emulator) -> None:
    alice = tg.user("alice")
    team = tg.group("team", [alice])
    await team.add_bot(alice, admin=True)
    async with ptb(tg) as bot:
        assert await bot.set_my_name("Helper")
        assert (await bot.get_my_name()).name == "Helper"
        assert await bot.set_my_description("Helps", language_code="de")
        assert (await bot.get_my_description(language_code="de")).description == "Helps"
        assert (await bot.get_my_description()).description == ""
        assert await bot.set_my_short_description("Short")
        assert (await bot.get_my_short_description()).short_description == "Short"
        assert await bot.get_chat_menu_button() == MenuButtonCommands()
        button = MenuButtonWebApp("Open", WebAppInfo("https://example.test/app"))
        assert await bot.set_chat_menu_button(alice.id, button)
        assert await bot.get_chat_menu_button(alice.id) == button
        with pytest.raises(BadRequest, match=r"(?i)too long"):
            await bot.set_my_name("x" * 65)
        link = await bot.create_chat_invite_link(team.id, name="friends", member_limit=5)
        assert link.invite_link.startswith("https://t.me/+") and link.member_limit == 5
        renamed = await bot.edit_chat_invite_link(team.id, link.invite_link, name="pals")
        assert renamed.name == "pals"
        revoked = await bot.revoke_chat_invite_link(team.id, link.invite_link)
        assert revoked.is_revoked
        bob = tg.user("bob")
        with pytest.raises(LookupError, match="revoked"):
            await bob.open_invite_link(link.invite_link)
        primary = await bot.export_chat_invite_link(team.id)
        await bob.open_invite_link(primary)
        assert (await bot.get_chat_member(team.id, bob.id)).status == "member"
        with pytest.raises(BadRequest, match=r"(?i)not enough rights"):  # no can_promote
            await bot.promote_chat_member(team.id, bob.id, can_delete_messages=True)
        assert await bot.ban_chat_member(team.id, bob.id, revoke_messages=True)
        assert await bot.leave_chat(team.id)
        with pytest.raises(BadRequest, match=r"(?i)not enough rights"):
            await bot.create_chat_invite_link(team.id)


async def test_aiogram_reads_the_new_shapes(tg: Emulator) -> None:
    from aiogram import Bot as AiogramBot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import BufferedInputFile, LabeledPrice

    alice = tg.user("alice")
    session = AiohttpSession(api=TelegramAPIServer.from_base(tg.api_url))
    bot = AiogramBot(tg.token, session=session)
    try:
        poll = await bot.send_poll(alice.id, "Lunch?", ["pizza", "salad"], is_anonymous=False)
        assert poll.poll and poll.poll.options[0].persistent_id
        await alice.vote(alice.chat.conversation.messages[poll.message_id], "salad")
        stopped = await bot.stop_poll(alice.id, poll.message_id)
        assert stopped.is_closed and stopped.options[1].voter_count == 1
        invoice = await bot.send_invoice(
            alice.id, "Pro", "One month", "pro", "XTR", [LabeledPrice(label="Pro", amount=5)]
        )
        assert invoice.invoice and invoice.invoice.total_amount == 5
        video = await bot.send_video(alice.id, BufferedInputFile(MP4, "v.mp4"))
        assert video.video and video.video.mime_type == "video/mp4"
        member = await bot.get_chat_member(alice.id, alice.id)
        assert member.status == "member"
        dice = await bot.send_dice(alice.id)
        assert dice.dice and dice.dice.emoji == "🎲"
    finally:
        await bot.session.close()


async def test_every_method_answers_bad_parameters_with_an_error(tg: Emulator) -> None:
    """Garbage in any parameter is Telegram's 4xx with a description, never a 500."""
    import httpx

    from tgserve.emulator._registry import METHODS

    alice = tg.user("alice")
    garbage = {
        "chat_id": alice.id,
        "from_chat_id": alice.id,
        "message_id": "x",
        "user_id": "[]",
        "media": "{",
        "options": 5,
        "results": "no",
        "result": "[]",
        "prices": "[1]",
        "message_ids": '["a"]',
        "reaction": '"x"',
        "permissions": "3",
        "menu_button": "4",
        "latitude": "a",
        "longitude": "[1]",
        "question": "",
        "commands": "{}",
        "photo": "attach://none",
        "correct_option_ids": '["z"]',
        "shipping_options": "1",
    }
    skip = {"getupdates", "close", "logout", "setwebhook", "deletewebhook"}
    async with httpx.AsyncClient(trust_env=False, timeout=10) as http:
        for name in sorted(set(METHODS) - skip):
            for body in ({}, garbage):
                answer = await http.post(f"{tg.api_url}/bot{tg.token}/{name}", json=body)
                assert answer.status_code < 500, (name, body, answer.text)
                payload = answer.json()
                if not payload["ok"]:
                    assert payload["description"] and "\n" not in payload["description"]

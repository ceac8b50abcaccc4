"""The Python test API reads like a conversation: users, groups, presses, waits."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.emulator.helpers import ok
from tgserve.emulator import Emulator


@contextlib.asynccontextmanager
async def polling_bot(tg: Emulator, client: httpx.AsyncClient) -> AsyncIterator[None]:
    """A small bot on getUpdates: echoes text, answers /menu with buttons, edits on press."""

    async def handle(update: dict[str, Any]) -> None:
        if "callback_query" in update:
            query = update["callback_query"]
            message = query["message"]
            await ok(client, tg, "answerCallbackQuery", callback_query_id=query["id"], text="ok")
            await ok(
                client,
                tg,
                "editMessageText",
                chat_id=message["chat"]["id"],
                message_id=message["message_id"],
                text=f"chose {query['data']}",
            )
            return
        message = update["message"]
        chat_id = message["chat"]["id"]
        if message.get("text") == "/menu":
            markup = {"inline_keyboard": [[{"text": "Red", "callback_data": "red"}]]}
            await ok(client, tg, "sendMessage", chat_id=chat_id, text="pick", reply_markup=markup)
        elif message.get("text") == "/forget":
            await ok(client, tg, "deleteMessage", chat_id=chat_id, message_id=message["message_id"])
        elif "photo" in message:
            await ok(client, tg, "sendMessage", chat_id=chat_id, text="nice photo")
        else:
            name = message["from"]["first_name"]
            await ok(client, tg, "sendMessage", chat_id=chat_id, text=f"{name}: {message['text']}")

    async def loop() -> None:
        offset = 0
        while True:
            for update in await ok(client, tg, "getUpdates", offset=offset, timeout=1):
                offset = update["update_id"] + 1
                await handle(update)

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_conversation(tg: Emulator, client: httpx.AsyncClient) -> None:
    alice = tg.user("alice")
    async with polling_bot(tg, client):
        await alice.send("hi")
        assert (await alice.chat.next_message()).text == "Alice: hi"
        await alice.send("/menu")
        menu = await alice.chat.next_message()
        assert menu.buttons == [["Red"]]
        press = await alice.press(menu, "Red")
        assert (await press.answered())["text"] == "ok"
        edited = await alice.chat.next_edit()
        assert edited is menu and menu.text == "chose red" and menu.buttons == []
        await alice.send_photo(b"\x89PNG\r\n\x1a\n", caption="me")
        assert (await alice.chat.wait_for_text("photo")).text == "nice photo"
        await alice.send("/forget")
        await alice.chat.next_event("delete")
        assert [m.text for m in alice.chat.messages][-2:] == ["me", "nice photo"]
    with pytest.raises(LookupError, match="no inline button"):
        await alice.press(menu, "Blue")
    with pytest.raises(TimeoutError, match="no message from the bot"):
        await alice.chat.next_message(timeout=0.05)


async def test_a_group(tg: Emulator, client: httpx.AsyncClient) -> None:
    alice, bob, carol = tg.user("alice"), tg.user("bob"), tg.user("carol")
    team = tg.group("team", members=[alice, bob])
    async with polling_bot(tg, client):
        await alice.send("one", chat=team)
        await bob.send("two", chat=team)
        await team.chat.wait_for_text("Bob: two")
        assert [m.text for m in team.chat.bot_messages] == ["Alice: one", "Bob: two"]
        assert alice.chat.messages == []
    with pytest.raises(LookupError, match="not a member"):
        await carol.send("let me in", chat=team)


async def test_several_bots(tg: Emulator, client: httpx.AsyncClient) -> None:
    other = tg.add_bot("Second", "second_bot")
    alice = tg.user("alice")
    await alice.send("to the second", bot=other)
    first = await ok(client, tg, "getUpdates")
    response = await client.post(f"{tg.api_url}/bot{other}/getUpdates")
    assert first == [] and len(response.json()["result"]) == 1
    await client.post(
        f"{tg.api_url}/bot{other}/sendMessage", json={"chat_id": alice.id, "text": "from 2"}
    )
    assert (await alice.chat_with(other).next_message()).text == "from 2"
    assert alice.chat.messages == []


async def test_control_api(tg: Emulator, client: httpx.AsyncClient) -> None:
    base = f"{tg.url}/_emulator"
    user = (await client.post(f"{base}/users", json={"first_name": "Dana"})).json()["user"]
    sent = await client.post(f"{base}/send", json={"user_id": user["id"], "text": "/start"})
    assert sent.json()["message"]["message"]["entities"][0]["type"] == "bot_command"
    markup = {"inline_keyboard": [[{"text": "B", "callback_data": "b"}]]}
    bot_msg = await ok(client, tg, "sendMessage", chat_id=user["id"], text="x", reply_markup=markup)
    pressed = await client.post(
        f"{base}/press",
        json={
            "chat_id": user["id"],
            "user_id": user["id"],
            "message_id": bot_msg["message_id"],
            "text": "B",
        },
    )
    assert pressed.json()["ok"] is True
    updates = await ok(client, tg, "getUpdates")
    assert [("message" in u, "callback_query" in u) for u in updates] == [
        (True, False),
        (False, True),
    ]
    listing = await client.get(f"{base}/messages", params={"chat_id": user["id"]})
    assert [m["message"]["message_id"] for m in listing.json()["messages"]] == [1, 2]
    state = (await client.get(f"{base}/state")).json()
    assert state["bots"][0]["username"] == "test_bot" and state["users"][0]["first_name"] == "Dana"
    group = await client.post(f"{base}/groups", json={"title": "g", "member_ids": [user["id"]]})
    assert group.json()["chat"]["type"] == "supergroup"
    uploaded = await client.post(
        f"{base}/send_file", data={"user_id": str(user["id"])}, files={"file": ("a.png", b"x")}
    )
    file_id = uploaded.json()["message"]["message"]["photo"][0]["file_id"]
    assert (await client.get(f"{base}/files/{file_id}")).content == b"x"
    await client.post(f"{base}/faults", json={"method": "getMe", "status": 500})
    assert (await client.post(f"{tg.api_url}/bot{tg.token}/getMe")).status_code == 500
    await client.post(f"{base}/flood", json={"enabled": True})
    assert tg.flood.enabled
    bad = await client.post(f"{base}/send", json={"user_id": 1, "text": "x"})
    assert bad.status_code == 400
    evil = {"origin": "http://evil.test", "content-type": "text/plain"}
    forged = await client.post(f"{base}/send", content=b'{"user_id": 1}', headers=evil)
    assert forged.status_code == 403
    plain = await client.post(f"{base}/send", content=b"{}", headers={"content-type": "text/plain"})
    assert plain.status_code == 415


async def test_event_stream(tg: Emulator, client: httpx.AsyncClient) -> None:
    alice = tg.user("alice")
    async with client.stream("GET", f"{tg.url}/_emulator/events") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        await alice.send("streamed")
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                assert '"streamed"' in line
                break

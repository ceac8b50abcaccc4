"""The Bot API surface over real HTTP: encodings, answer shapes, methods and their errors."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from tests.emulator.helpers import call, ok
from tgserve._botapi import BotAPI
from tgserve.emulator import Emulator, World, create_app
from tgserve.emulator._credentials import fresh_token

PNG_1x1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


async def test_get_me_and_encodings(tg: Emulator, client: httpx.AsyncClient) -> None:
    base = f"{tg.api_url}/bot{tg.token}"
    alice = tg.user("alice")
    answers = [
        await client.get(f"{base}/getMe"),
        await client.post(f"{base}/getMe"),
        await client.get(f"{base}/sendMessage", params={"chat_id": alice.id, "text": "q"}),
        await client.post(f"{base}/sendMessage", data={"chat_id": str(alice.id), "text": "f"}),
        await client.post(f"{base}/sendMessage", json={"chat_id": alice.id, "text": "j"}),
        await client.post(
            f"{base}/sendMessage", data={"chat_id": str(alice.id)}, files={"text": (None, "m")}
        ),
    ]
    assert [a.status_code for a in answers] == [200] * 6
    assert answers[0].json()["result"]["username"] == "test_bot"
    assert [m.text for m in alice.chat.messages] == ["q", "f", "j", "m"]


async def test_error_shapes(tg: Emulator, client: httpx.AsyncClient) -> None:
    assert await call(client, tg, "getMe", token="12:short") == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    assert await call(client, tg, "noSuchMethod") == (
        404,
        {
            "ok": False,
            "error_code": 404,
            "description": "Not Found: method noSuchMethod is not emulated by tgserve's "
            "local Telegram",
        },
    )
    nowhere = await client.get(f"{tg.api_url}/bot/getMe")
    assert nowhere.status_code == 404 and nowhere.json()["description"] == "Not Found"
    status, body = await call(client, tg, "sendMessage", chat_id=42, text="x")
    assert (status, body["description"]) == (400, "Bad Request: chat not found")
    alice = tg.user("alice")
    status, body = await call(client, tg, "sendMessage", chat_id=alice.id, text="  ")
    assert (status, body["description"]) == (400, "Bad Request: message text is empty")
    status, body = await call(client, tg, "sendMessage", text="x")
    assert (status, body["description"]) == (400, "Bad Request: chat_id is empty")
    response = await client.post(
        f"{tg.api_url}/bot{tg.token}/getMe",
        content=b"{",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400


async def test_any_token_shape_registers_a_bot_but_a_fixed_list_does_not() -> None:
    other = fresh_token()
    async with Emulator() as tg, httpx.AsyncClient(trust_env=False) as client:
        status, body = await call(client, tg, "getMe", token=other)
        assert status == 200 and body["result"]["id"] == int(other.split(":")[0])
    fixed = fresh_token()
    async with Emulator(tokens=[fixed]) as tg, httpx.AsyncClient(trust_env=False) as client:
        assert tg.token == fixed
        assert (await call(client, tg, "getMe", token=other))[0] == 401
        assert (await call(client, tg, "getMe"))[0] == 200


async def test_get_updates_offset_limit_and_long_poll(
    tg: Emulator, client: httpx.AsyncClient
) -> None:
    alice = tg.user("alice")
    for text in ("one", "two", "three"):
        await alice.send(text)
    first = await ok(client, tg, "getUpdates", limit=2)
    assert [u["message"]["text"] for u in first] == ["one", "two"]
    rest = await ok(client, tg, "getUpdates", offset=first[-1]["update_id"] + 1)
    assert [u["message"]["text"] for u in rest] == ["three"]
    assert await ok(client, tg, "getUpdates", offset=rest[-1]["update_id"] + 1, timeout=0) == []

    async def later() -> None:
        await asyncio.sleep(0.1)
        await alice.send("four")

    sender = asyncio.create_task(later())
    polled = await ok(client, tg, "getUpdates", offset=rest[-1]["update_id"] + 1, timeout=5)
    await sender
    assert [u["message"]["text"] for u in polled] == ["four"]


async def test_allowed_updates_filter(tg: Emulator, client: httpx.AsyncClient) -> None:
    alice = tg.user("alice")
    await ok(client, tg, "getUpdates", allowed_updates=["callback_query"])
    await alice.send("ignored")
    assert await ok(client, tg, "getUpdates") == []


async def test_get_updates_conflicts(tg: Emulator, client: httpx.AsyncClient) -> None:
    first = asyncio.create_task(call(client, tg, "getUpdates", timeout=5))
    await asyncio.sleep(0.1)
    second = asyncio.create_task(call(client, tg, "getUpdates", timeout=0))
    status, body = await first
    assert (status, body["description"]) == (
        409,
        "Conflict: terminated by other getUpdates "
        "request; make sure that only one bot instance "
        "is running",
    )
    assert (await second)[0] == 200
    await ok(client, tg, "setWebhook", url="http://127.0.0.1:9/hook")
    status, body = await call(client, tg, "getUpdates")
    assert status == 409
    assert body["description"] == (
        "Conflict: can't use getUpdates method while webhook is "
        "active; use deleteWebhook to delete the webhook first"
    )
    await ok(client, tg, "deleteWebhook")
    assert await ok(client, tg, "getUpdates") == []


async def test_set_webhook_validation_and_info(tg: Emulator, client: httpx.AsyncClient) -> None:
    for bad in (
        {"secret_token": "has space"},
        {"secret_token": "x" * 257},
        {"max_connections": 0},
        {"max_connections": 101},
    ):
        status, body = await call(client, tg, "setWebhook", url="https://example.test/h", **bad)
        assert status == 400, bad
        assert body["description"].startswith("Bad Request: ")
    status, body = await call(client, tg, "setWebhook", url="ftp://x")
    assert status == 400
    info = await ok(client, tg, "getWebhookInfo")
    assert info == {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
    status, body = await call(
        client,
        tg,
        "setWebhook",
        url="http://127.0.0.1:9/h",
        secret_token="abc_-9",
        allowed_updates=["message"],
    )
    assert body == {"ok": True, "result": True, "description": "Webhook was set"}
    info = await ok(client, tg, "getWebhookInfo")
    assert info["url"] == "http://127.0.0.1:9/h"
    assert info["max_connections"] == 40 and info["allowed_updates"] == ["message"]
    _, body = await call(client, tg, "deleteWebhook", drop_pending_updates=True)
    assert body["description"] == "Webhook was deleted"
    _, body = await call(client, tg, "deleteWebhook")
    assert body["description"] == "Webhook is already deleted"


async def test_send_edit_delete(tg: Emulator, client: httpx.AsyncClient) -> None:
    alice = tg.user("alice")
    keyboard = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
    sent = await ok(
        client,
        tg,
        "sendMessage",
        chat_id=alice.id,
        text="<b>Hi</b> <i>x</i>",
        parse_mode="HTML",
        reply_markup=keyboard,
    )
    assert sent["text"] == "Hi x" and sent["reply_markup"] == keyboard
    assert sent["entities"] == [
        {"type": "bold", "offset": 0, "length": 2},
        {"type": "italic", "offset": 3, "length": 1},
    ]
    assert sent["from"]["is_bot"] is True and sent["chat"]["type"] == "private"
    mid = sent["message_id"]
    edited = await ok(client, tg, "editMessageText", chat_id=alice.id, message_id=mid, text="Bye")
    assert edited["text"] == "Bye" and "reply_markup" not in edited and "edit_date" in edited
    status, body = await call(
        client, tg, "editMessageText", chat_id=alice.id, message_id=mid, text="Bye"
    )
    assert status == 400 and "message is not modified" in body["description"]
    marked = await ok(
        client,
        tg,
        "editMessageReplyMarkup",
        chat_id=alice.id,
        message_id=mid,
        reply_markup=keyboard,
    )
    assert marked["reply_markup"] == keyboard
    reply = await ok(
        client, tg, "sendMessage", chat_id=alice.id, text="re", reply_parameters={"message_id": mid}
    )
    assert reply["reply_to_message"]["message_id"] == mid
    assert await ok(client, tg, "deleteMessage", chat_id=alice.id, message_id=mid) is True
    status, body = await call(client, tg, "deleteMessage", chat_id=alice.id, message_id=mid)
    assert body["description"] == "Bad Request: message to delete not found"
    status, body = await call(
        client, tg, "sendMessage", chat_id=alice.id, text="x", reply_to_message_id=mid
    )
    assert body["description"] == "Bad Request: message to be replied not found"
    kinds = [e.kind for e in alice.chat.events]
    assert kinds == ["message", "edit", "edit", "message", "delete"]


async def test_bad_markup_and_parse_errors(tg: Emulator, client: httpx.AsyncClient) -> None:
    alice = tg.user("alice")
    status, body = await call(
        client,
        tg,
        "sendMessage",
        chat_id=alice.id,
        text="x",
        reply_markup={"inline_keyboard": [[{"text": "no action"}]]},
    )
    assert status == 400 and "Text buttons are unallowed" in body["description"]
    status, body = await call(
        client, tg, "sendMessage", chat_id=alice.id, text="<b>x", parse_mode="HTML"
    )
    assert status == 400 and body["description"].startswith("Bad Request: can't parse entities")
    reply_kb = {"keyboard": [["Yes", "No"]], "resize_keyboard": True}
    sent = await ok(
        client, tg, "sendMessage", chat_id=alice.id, text="pick", reply_markup=json.dumps(reply_kb)
    )
    assert "reply_markup" not in sent
    assert alice.chat.bot_messages[-1].keyboard == [["Yes", "No"]]


async def test_files_round_trip(tg: Emulator, client: httpx.AsyncClient) -> None:
    alice = tg.user("alice")
    base = f"{tg.api_url}/bot{tg.token}"
    response = await client.post(
        f"{base}/sendPhoto",
        data={"chat_id": str(alice.id), "caption": "dot"},
        files={"photo": ("p.png", PNG_1x1)},
    )
    photo = response.json()["result"]
    assert photo["caption"] == "dot" and photo["photo"][0]["width"] == 1
    file_id = photo["photo"][0]["file_id"]
    again = await ok(client, tg, "sendPhoto", chat_id=alice.id, photo=file_id)
    assert again["photo"][0]["file_id"] == file_id
    response = await client.post(
        f"{base}/sendDocument",
        data={"chat_id": str(alice.id), "document": "attach://f"},
        files={"f": ("notes.txt", b"hello", "text/plain")},
    )
    doc = response.json()["result"]["document"]
    assert doc["file_name"] == "notes.txt" and doc["mime_type"] == "text/plain"
    info = await ok(client, tg, "getFile", file_id=doc["file_id"])
    download = await client.get(f"{tg.api_url}/file/bot{tg.token}/{info['file_path']}")
    assert download.content == b"hello"
    _status, body = await call(client, tg, "sendPhoto", chat_id=alice.id, photo="nope")
    assert body["description"] == "Bad Request: wrong file identifier/HTTP URL specified"
    user_photo = await alice.send_photo(PNG_1x1, caption="mine")
    got = await ok(client, tg, "getFile", file_id=user_photo.raw["photo"][0]["file_id"])
    assert (
        await client.get(f"{tg.api_url}/file/bot{tg.token}/{got['file_path']}")
    ).content == PNG_1x1


async def test_misc_methods(tg: Emulator, client: httpx.AsyncClient) -> None:
    alice = tg.user("alice")
    commands = [{"command": "start", "description": "Start"}]
    assert await ok(client, tg, "setMyCommands", commands=commands) is True
    assert await ok(client, tg, "getMyCommands") == commands
    assert await ok(client, tg, "getMyCommands", language_code="de") == []
    status, _ = await call(
        client, tg, "setMyCommands", commands=[{"command": "Bad!", "description": "x"}]
    )
    assert status == 400
    chat = await ok(client, tg, "getChat", chat_id=alice.id)
    assert chat["id"] == alice.id and chat["type"] == "private"
    assert await ok(client, tg, "sendChatAction", chat_id=alice.id, action="typing") is True
    assert alice.chat.actions == ["typing"]
    assert (await call(client, tg, "sendChatAction", chat_id=alice.id, action="dance"))[0] == 400
    assert await ok(client, tg, "logOut") is True
    assert await ok(client, tg, "close") is True
    assert (await call(client, tg, "answerCallbackQuery", callback_query_id="1"))[0] == 400


async def test_faults(tg: Emulator, client: httpx.AsyncClient) -> None:
    tg.faults.fail("getMe", times=2, status=502)
    tg.faults.fail("sendMessage", retry_after=3)
    assert (await call(client, tg, "getMe"))[0] == 502
    assert (await call(client, tg, "getme"))[0] == 502
    assert (await call(client, tg, "getMe"))[0] == 200
    alice = tg.user("alice")
    status, body = await call(client, tg, "sendMessage", chat_id=alice.id, text="x")
    assert status == 429 and body["parameters"] == {"retry_after": 3}
    tg.faults.drop("getMe")
    with pytest.raises(httpx.RemoteProtocolError):
        await client.post(f"{tg.api_url}/bot{tg.token}/getMe")
    assert (await call(client, tg, "getMe"))[0] == 200


async def test_flood_control(tg: Emulator, client: httpx.AsyncClient) -> None:
    alice = tg.user("alice")
    tg.flood.enabled = True
    statuses = [
        (await call(client, tg, "sendMessage", chat_id=alice.id, text="x")) for _ in range(4)
    ]
    assert [s for s, _ in statuses] == [200, 200, 200, 429]
    assert statuses[-1][1]["parameters"]["retry_after"] >= 1
    assert statuses[-1][1]["description"].startswith("Too Many Requests: retry after ")


async def test_without_a_server() -> None:
    world = World()
    token = fresh_token()
    transport = httpx.ASGITransport(app=create_app(world))
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as http:
        answer = (await http.post(f"/bot{token}/getMe")).json()
        assert answer["ok"] is True and answer["result"]["is_bot"] is True
        state = (await http.get("/_emulator/state")).json()
        assert state["bots"][0]["id"] == answer["result"]["id"]
    await world.aclose()


async def test_runtime_route_shows_the_bots_own_counts(
    tg: Emulator, client: httpx.AsyncClient
) -> None:
    async def handle(update: dict[str, Any], bot: BotAPI) -> None:
        await bot.call("sendMessage", chat_id=update["message"]["chat"]["id"], text="ok")

    first = (await client.get(f"{tg.url}/_emulator/runtime")).json()
    assert first == {"ok": True, "runtime": None, "why": "no webhook set"}
    alice = tg.user("alice")
    async with tg.serve(handle):
        await alice.send("hi")
        await alice.chat.wait_for_text("ok")
        answer = (await client.get(f"{tg.url}/_emulator/runtime")).json()
    info = answer["runtime"]
    assert info["bot"] == "plain" and info["state"] == "running"
    assert info["counts"]["received"] == 1 and info["secret_token"] is True  # set, not shown
    missing = await client.get(f"{tg.url}/_emulator/runtime", params={"bot_id": "999"})
    assert missing.status_code == 404

"""The control API refuses bad input with a one-line 4xx, never a 500, and keeps the connection.

Every request here goes over one raw keep-alive connection: were a route to fail (500,
or the connection closed), the next request on it would fail too.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tgserve.emulator import Emulator
from tgserve.emulator._control import routes as control_routes
from tgserve.emulator._control_actions import ACTIONS
from tgserve.emulator._control_actions import routes as action_routes

DOC = Path(__file__).resolve().parents[2] / "docs" / "emulator.md"


class KeepAlive:
    """HTTP/1.1 over one socket, request after request (no reconnecting)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        host, port = writer.get_extra_info("peername")[:2]
        self.host = f"{host}:{port}"
        self.served = 0

    async def request(
        self, method: str, path: str, body: bytes = b"", content_type: str = "application/json"
    ) -> tuple[int, Any]:
        head = (
            f"{method} {path} HTTP/1.1\r\nhost: {self.host}\r\n"
            f"content-type: {content_type}\r\ncontent-length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        await self.writer.drain()
        raw = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), 10)
        lines = raw.decode("latin-1").split("\r\n")
        headers = dict(line.lower().split(": ", 1) for line in lines[1:] if line)
        assert headers.get("connection") != "close", (method, path, body[:80])
        data = await self.reader.readexactly(int(headers["content-length"]))
        self.served += 1
        status = int(lines[0].split()[1])
        is_json = headers.get("content-type", "").startswith("application/json")
        return status, json.loads(data) if is_json else data

    async def refused(
        self, method: str, path: str, body: bytes, content_type: str = "application/json"
    ) -> str:
        """Send a bad request; assert a 4xx with a one-line JSON error and return it."""
        status, answer = await self.request(method, path, body, content_type)
        assert 400 <= status < 500, (method, path, body[:80], status, answer)
        return one_line(answer, (method, path, body[:80]))

    async def post(self, path: str, body: Any) -> tuple[int, Any]:
        return await self.request("POST", path, json.dumps(body).encode())


def one_line(answer: Any, where: Any) -> str:
    assert isinstance(answer, dict) and answer.get("ok") is False, (where, answer)
    error = answer.get("error")
    assert isinstance(error, str) and error, (where, answer)
    assert "\n" not in error and "Traceback" not in error and len(error) < 300, (where, error)
    return error


@pytest.fixture
async def conn(tg: Emulator) -> AsyncIterator[KeepAlive]:
    parts = urlsplit(tg.url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    client = KeepAlive(reader, writer)
    yield client
    status, _ = await client.request("GET", "/_emulator/state")  # it still serves
    assert status == 200
    writer.close()
    await writer.wait_closed()


async def test_groups_refuse_bad_member_ids(tg: Emulator, conn: KeepAlive) -> None:
    alice = tg.user("alice")
    for members in ("x", 5, [{}], [alice.id, "y"], [True]):
        body = json.dumps({"title": "t", "member_ids": members}).encode()
        assert await conn.refused("POST", "/_emulator/groups", body) == (
            "member_ids must be a list of integers"
        )
    status, answer = await conn.post("/_emulator/groups", {"title": "t", "member_ids": [7, 8]})
    assert status == 400 and answer["error"] == "unknown member_ids: 7, 8"
    assert [c for c in tg.world.chats.values() if c["type"] != "private"] == []  # none made
    made = await conn.post("/_emulator/groups", {"title": "t", "member_ids": [alice.id]})
    assert made[0] == 200 and tg.world.members[made[1]["chat"]["id"]] == [alice.id]


async def test_ids_are_required_integers(tg: Emulator, conn: KeepAlive) -> None:
    alice = tg.user("alice")
    assert await conn.refused("POST", "/_emulator/send", b'{"text": "hi"}') == (
        "user_id is required"
    )
    for bad in ('"abc"', "1.5", "true", "[1]", '{"a": 1}'):
        body = f'{{"user_id": {bad}, "text": "hi"}}'.encode()
        assert await conn.refused("POST", "/_emulator/send", body) == ("user_id must be an integer")
    sent = await conn.post("/_emulator/send", {"user_id": str(alice.id), "text": "hi"})
    assert sent[0] == 200  # digits in a string are an id too (forms, query strings)
    assert await conn.refused("GET", "/_emulator/runtime?bot_id=abc", b"") == (
        "bot_id must be an integer"
    )
    assert (await conn.request("GET", "/_emulator/runtime?bot_id=999"))[0] == 404


async def test_faults_and_flood_check_their_bodies(tg: Emulator, conn: KeepAlive) -> None:
    path = "/_emulator/faults"
    assert await conn.refused("POST", path, b'{"status": 500}') == "method is required"
    assert await conn.refused("POST", path, b'{"method": 5}') == "method must be a string"
    assert "times" in await conn.refused("POST", path, b'{"method": "getMe", "times": 0}')
    assert "status" in await conn.refused("POST", path, b'{"method": "getMe", "status": 200}')
    assert tg.world.faults.pending == []
    ok = await conn.post(path, {"method": "getMe", "status": 502, "times": 2})
    assert ok[0] == 200 and tg.world.faults.pending[0].remaining == 2
    flood = "/_emulator/flood"
    assert await conn.refused("POST", flood, b'{"enabled": "maybe"}') == (
        "enabled must be true or false"
    )
    bad_figure = b'{"enabled": true, "figures": {"bot": "lots"}}'
    assert await conn.refused("POST", flood, bad_figure) == "figures.bot must be a number"
    assert "unknown flood figure" in await conn.refused("POST", flood, b'{"figures": {"x": 1}}')
    assert tg.flood.enabled is False  # nothing changed by a refused body
    assert (await conn.post(flood, {"enabled": True}))[0] == 200 and tg.flood.enabled


async def test_blocks_route_blocks_and_unblocks(tg: Emulator, conn: KeepAlive) -> None:
    alice = tg.user("alice")
    body = b'{"user_id": 1, "blocked": "no"}'
    assert await conn.refused("POST", "/_emulator/blocks", body) == (
        "blocked must be true or false"
    )
    assert (await conn.post("/_emulator/blocks", {"user_id": alice.id}))[0] == 200
    assert (tg.bot().id, alice.id) in tg.world.blocks.pairs
    assert (await conn.post("/_emulator/blocks", {"user_id": alice.id, "blocked": False}))[0] == 200
    assert tg.world.blocks.pairs == set()


def documented_fields() -> dict[str, list[str]]:
    """Each control route's body fields, as docs/emulator.md's table lists them."""
    found: dict[str, list[str]] = {}
    for route, fields in re.findall(r"`POST /_emulator/(\w+) \{([^}]*)\}`", DOC.read_text()):
        names = re.findall(r"(\w+)\??(?=[,:]|$| or)", fields.replace(" or ", ", "))
        also = ["bot_id"] if route in ACTIONS and "bot_id" not in names else []
        found[route] = names + also  # "Every action route also takes bot_id"
    return found


MALFORMED = [
    b"{",
    b'{"user_id": 1,}',
    b"\xff\xfe",
    b"[1, 2]",
    b"5",
    b'"text"',
    b"null",
    b"[" * 50_000,
    b'{"user_id": NaN}',
]
WRONG_FOR_EVERY_TYPE: list[Any] = [[{}], {"a": [1]}]


async def test_every_route_refuses_malformed_bodies(tg: Emulator, conn: KeepAlive) -> None:
    alice = tg.user("alice")
    markup = {"inline_keyboard": [[{"text": "B", "callback_data": "b"}]]}
    sent = await conn.post(
        f"/bot{tg.token}/sendMessage", {"chat_id": alice.id, "text": "x", "reply_markup": markup}
    )
    base = {"user_id": alice.id, "chat_id": alice.id, "bot_id": tg.bot().id}
    base["message_id"] = sent[1]["result"]["message_id"]
    documented = documented_fields()
    posts = [
        r.path.removeprefix("/_emulator/")
        for r in [*control_routes(), *action_routes()]
        if "POST" in (getattr(r, "methods", None) or ()) and r.path != "/_emulator/send_file"
    ]
    assert sorted(set(posts) - set(documented)) == []  # every route is in the docs' table
    for name in posts:
        path = f"/_emulator/{name}"
        for body in MALFORMED:
            await conn.refused("POST", path, body)
        status, answer = await conn.post(path, {})
        assert status == 200 or (400 <= status < 500 and one_line(answer, name)), (name, answer)
        for field in documented[name]:
            for wrong in WRONG_FOR_EVERY_TYPE:
                await conn.refused("POST", path, json.dumps({**base, field: wrong}).encode())
    for query in ("bot_id=abc", "bot_id=1.5", "chat_id=x", "chat_id=", "bot_id=99999"):
        await conn.refused("GET", f"/_emulator/messages?{query}", b"")
    await conn.refused("GET", "/_emulator/files/nope", b"")
    assert conn.served > 300


async def test_send_file_refuses_bad_forms(tg: Emulator, conn: KeepAlive) -> None:
    alice = tg.user("alice")
    path, kind = "/_emulator/send_file", "multipart/form-data; boundary=XX"

    def form(**fields: str) -> bytes:
        parts = [
            f'--XX\r\ncontent-disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
            for k, v in fields.items()
        ]
        upload = (
            '--XX\r\ncontent-disposition: form-data; name="file"; filename="a.png"\r\n\r\npng\r\n'
        )
        return ("".join(parts) + upload + "--XX--\r\n").encode()

    assert await conn.refused("POST", path, form(user_id="x"), kind) == "user_id must be an integer"
    assert await conn.refused("POST", path, form(), kind) == "user_id is required"
    bad_kind = form(user_id=str(alice.id), kind="hologram")
    assert (await conn.refused("POST", path, bad_kind, kind)).startswith("kind is one of")
    await conn.refused("POST", path, b"--XX\r\ngarbage", kind)
    await conn.refused("POST", path, b"{}", "multipart/form-data")  # no boundary
    ok = await conn.request("POST", path, form(user_id=str(alice.id)), kind)
    assert ok[0] == 200, ok


async def test_fields_not_given_keep_their_defaults(tg: Emulator, conn: KeepAlive) -> None:
    status, made = await conn.post("/_emulator/bots", {})
    assert status == 200 and made["token"] and made["bot"]["is_bot"] is True  # a fresh token
    status, made = await conn.post("/_emulator/bots", {"token": None, "first_name": "B"})
    assert status == 200 and made["bot"]["first_name"] == "B"
    assert (await conn.request("POST", "/_emulator/flood", b""))[0] == 200  # an empty body
    alice = tg.user("alice")
    sent = await conn.post("/_emulator/send", {"user_id": alice.id, "text": "hi", "chat_id": None})
    assert sent[0] == 200 and sent[1]["message"]["message"]["chat"]["id"] == alice.id

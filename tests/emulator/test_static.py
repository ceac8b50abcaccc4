"""The chat page, its icon and its assets are served as files, over a real socket."""

from __future__ import annotations

from importlib import resources

import httpx

from tgserve.emulator import Emulator

STATIC = resources.files("tgserve.emulator") / "static"


async def test_page_and_icon_are_the_packaged_files(
    tg: Emulator, client: httpx.AsyncClient
) -> None:
    page = await client.get(f"{tg.url}/")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.content == (STATIC / "chat.html").read_bytes()
    icon = await client.get(f"{tg.url}/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content == (STATIC / "favicon.ico").read_bytes()
    script = await client.get(f"{tg.url}/static/chat.js")
    assert script.status_code == 200 and script.content == (STATIC / "chat.js").read_bytes()


async def test_page_and_icon_carry_validators_and_answer_head(
    tg: Emulator, client: httpx.AsyncClient
) -> None:
    """As /static does: an ETag and Last-Modified for the browser's cache, HEAD with no body."""
    for path in ("/", "/favicon.ico"):
        got = await client.get(f"{tg.url}{path}")
        assert got.headers["etag"] and got.headers["last-modified"], path
        head = await client.head(f"{tg.url}{path}")
        assert head.status_code == 200 and head.content == b"", path
        assert head.headers["content-length"] == str(len(got.content)), path


async def test_an_unknown_file_is_telegrams_json_404(
    tg: Emulator, client: httpx.AsyncClient
) -> None:
    missing = await client.get(f"{tg.url}/static/nope.js")
    assert missing.status_code == 404
    assert missing.json() == {"ok": False, "error_code": 404, "description": "Not Found"}

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import TOKEN
from tgserve import _redact as redact
from tgserve._botapi import BotAPI, NetworkError, TelegramError
from tgserve._transport import Kind, choose, proxied
from tgserve.testing import BotAPIStub, serve

pytestmark = pytest.mark.timeout(30)


@pytest.fixture(params=["aiohttp", "httpx"])
async def api(request: pytest.FixtureRequest) -> AsyncIterator[tuple[BotAPIStub, BotAPI]]:
    stub = BotAPIStub()
    async with serve(stub) as url:
        bot = BotAPI(TOKEN, url, backoff=0.01, http=request.param)
        yield stub, bot
        await bot.close()


async def test_call_returns_result(api: tuple[BotAPIStub, BotAPI]) -> None:
    stub, bot = api
    me = await bot.call("getMe")
    assert me["is_bot"] is True
    sent = await bot.call("sendMessage", chat_id=3, text="hi", reply_markup={"keyboard": []})
    assert sent["chat"]["id"] == 3
    assert stub.sent()[0].params == {"chat_id": 3, "text": "hi", "reply_markup": {"keyboard": []}}


async def test_429_is_retried_after_retry_after(api: tuple[BotAPIStub, BotAPI]) -> None:
    stub, bot = api
    stub.fail["sendMessage"] = [(429, 0.05), (502, None)]
    await bot.call("sendMessage", chat_id=1, text="x")
    assert len(stub.sent()) == 1


async def test_typed_error_and_bounded_retries(api: tuple[BotAPIStub, BotAPI]) -> None:
    stub, bot = api
    stub.fail["sendMessage"] = [(400, None)]
    with pytest.raises(TelegramError) as caught:
        await bot.call("sendMessage", chat_id=1, text="x")
    assert caught.value.error_code == 400 and caught.value.description == "injected"
    stub.fail["sendMessage"] = [(500, None)] * 10
    with pytest.raises(TelegramError) as caught:
        await bot.call("sendMessage", chat_id=1, text="x")
    assert caught.value.error_code == 500
    assert len(stub.fail["sendMessage"]) == 10 - (bot.max_retries + 1)
    stub.fail["sendMessage"] = [(429, 30.0)] * 10
    bot.max_retry_after = 1
    with pytest.raises(TelegramError) as caught:
        await bot.call("sendMessage", chat_id=1, text="x")
    assert caught.value.retry_after == 30.0


async def test_upload_as_multipart(api: tuple[BotAPIStub, BotAPI]) -> None:
    stub, bot = api
    markup = {"inline_keyboard": [[{"text": "é", "callback_data": "x"}]]}
    photo = ("a.png", b"\x89PNG")
    result = await bot.call("sendPhoto", files={"photo": photo}, chat_id=4, reply_markup=markup)
    assert result["chat"]["id"] == 4
    params = stub.sent("sendPhoto")[0].params
    assert params == {
        "chat_id": 4,
        "reply_markup": markup,
        "photo": {"filename": "a.png", "size": 4},
    }


@pytest.mark.parametrize("http", ["aiohttp", "httpx"])
async def test_network_error_never_shows_the_token(http: Kind) -> None:
    bot = BotAPI(TOKEN, "http://127.0.0.1:9", max_retries=1, backoff=0.01, http=http)
    with pytest.raises(NetworkError) as caught:
        await bot.call("getMe")
    await bot.close()
    assert TOKEN not in str(caught.value) and TOKEN not in repr(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_repr_hides_the_token() -> None:
    bot = BotAPI(TOKEN)
    assert TOKEN.split(":")[1] not in repr(bot)
    assert bot.id == int(TOKEN.split(":")[0])


async def test_httpx_request_log_is_redacted(caplog: pytest.LogCaptureFixture) -> None:
    async with serve(BotAPIStub()) as url:
        bot = BotAPI(TOKEN, url, http="httpx")
        with caplog.at_level(logging.DEBUG):
            await bot.call("getMe")
        await bot.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert lines and all(TOKEN not in line for line in lines)
    assert any(redact.MASK in line for line in lines)


def test_auto_prefers_aiohttp_but_not_on_lambda(monkeypatch: pytest.MonkeyPatch) -> None:
    assert choose("auto") == "aiohttp" and choose("httpx") == "httpx"
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "bot")
    assert choose("auto") == "httpx"


def test_aiohttp_honours_a_proxy_named_in_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert proxied() is False
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.local:3128")
    assert proxied() is True


def test_redact_masks_token_shapes_and_registered_secrets() -> None:
    redact.install("a-registered-secret")
    other = "987654321:" + "B" * 35
    text = redact.redact(f"url /bot{other}/getMe and a-registered-secret")
    assert other not in text and "a-registered-secret" not in text


def test_exception_text_is_redacted(caplog: pytest.LogCaptureFixture) -> None:
    redact.install(TOKEN)
    try:
        raise httpx.ConnectError(f"cannot reach /bot{TOKEN}/getMe")
    except httpx.ConnectError:
        logging.getLogger("somewhere").exception("failed")
    text = caplog.text
    assert "failed" in text and TOKEN not in text

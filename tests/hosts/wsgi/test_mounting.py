"""Mounting the WSGI app: a Flask route, Flask's DispatcherMiddleware, a Django view; and the
body limit without a Content-Length."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from tests.conftest import SECRET, TOKEN
from werkzeug.test import Client

import tgserve
from tgserve._hosts.wsgi import WSGIApp

pytestmark = pytest.mark.timeout(60)
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}


@pytest.fixture
def seen() -> list[int]:
    return []


def make(seen: list[int], **options: Any) -> WSGIApp:
    async def handle(update: dict[str, Any], bot: tgserve.BotAPI) -> None:
        seen.append(update["update_id"])

    return tgserve.wsgi(handle, token=TOKEN, secret_token=SECRET, ack="inline", **options)


@pytest.fixture
def apps() -> Iterator[list[WSGIApp]]:
    made: list[WSGIApp] = []
    yield made
    for app in made:
        app.close(1.0)


def test_flask_route_returns_the_wsgi_app(seen: list[int], apps: list[WSGIApp]) -> None:
    from flask import Flask

    tg = make(seen)
    apps.append(tg)
    flask_app = Flask(__name__)
    flask_app.add_url_rule("/webhook", "telegram", lambda: tg, methods=["GET", "POST"])
    client = Client(flask_app)
    assert client.post("/webhook", json={"update_id": 1}, headers=HEADERS).status_code == 200
    assert client.post("/webhook", json={"update_id": 1}).status_code == 401
    assert client.get("/webhook").json["ok"] is True  # type: ignore[index]
    assert seen == [1]


def test_flask_dispatcher_middleware(seen: list[int], apps: list[WSGIApp]) -> None:
    from flask import Flask
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    tg = make(seen)
    apps.append(tg)
    flask_app = Flask(__name__)
    flask_app.add_url_rule("/", "home", lambda: "home")
    flask_app.wsgi_app = DispatcherMiddleware(flask_app.wsgi_app, {"/tg": tg})  # type: ignore[method-assign]
    client = Client(flask_app)
    assert client.get("/").text == "home"
    assert client.post("/tg/webhook", json={"update_id": 2}, headers=HEADERS).status_code == 200
    assert client.get("/tg/readyz").status_code == 200
    assert client.get("/tg/nope").status_code == 404
    assert seen == [2]


def test_django_view_delegates(seen: list[int], apps: list[WSGIApp]) -> None:
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            ROOT_URLCONF="tests.hosts.wsgi.djangourls",
            ALLOWED_HOSTS=["*"],
            SECRET_KEY="tests-only",
            MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"],
        )
        django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from tests.hosts.wsgi import djangourls

    tg = make(seen, path="/telegram/webhook")
    apps.append(tg)
    djangourls.TG = tg
    client = Client(WSGIHandler())
    reply = client.post("/telegram/webhook", json={"update_id": 3}, headers=HEADERS)
    assert reply.status_code == 200, reply.text
    assert client.post("/telegram/webhook", data=b"nope", headers=HEADERS).status_code == 400
    assert seen == [3]


class Endless(io.RawIOBase):
    """A request body that never ends; reading all of it would hang."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        assert size > 0, "read without a bound"
        self.read_bytes += size
        return b" " * size


def test_body_over_limit_without_length_is_413_unread(seen: list[int], apps: list[WSGIApp]) -> None:
    tg = make(seen, max_body_bytes=1000)
    apps.append(tg)
    stream = Endless()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/webhook",
        "CONTENT_TYPE": "application/json",
        "HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": SECRET,
        "wsgi.input": stream,
    }
    status, _, body = tg.call(environ)
    assert status == 413 and json.loads(body)["ok"] is False
    assert stream.read_bytes <= 1001
    unread = Endless()
    environ |= {"CONTENT_LENGTH": str(10**9), "wsgi.input": unread}
    assert tg.call(environ)[0] == 413 and unread.read_bytes == 0

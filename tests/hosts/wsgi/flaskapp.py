"""A Flask app with the tgserve view (``TGSERVE_TEST_BOT=plain|ptb``), or with the broken
pattern (``broken``): a new loop per request, closed after ``run_until_complete``."""

from __future__ import annotations

import asyncio
import os
import threading
from typing import Any

from flask import Flask, request
from tests.hosts.wsgi import bots

import tgserve
from tgserve import _loopthread as loopthread

KIND = os.environ.get("TGSERVE_TEST_BOT", "plain")

app = Flask(__name__)


def _tgserve_views() -> None:
    tg = tgserve.wsgi(bots.ptb_app()) if KIND == "ptb" else tgserve.wsgi(bots.plain)

    @app.post("/webhook")
    def webhook() -> Any:
        return tg  # Flask runs a returned WSGI app as the response

    @app.get("/readyz")
    def readyz() -> Any:
        return tg

    if os.environ.get("TGSERVE_TEST_WARM"):
        loopthread.get()  # a loop thread before gunicorn --preload forks: children need their own


def _broken_views() -> None:
    ptb = bots.ptb_app()
    started = threading.Lock()
    state = {"initialized": False}

    @app.post("/webhook")
    def webhook() -> Any:
        from telegram import Update

        data = request.get_json()

        async def go() -> None:
            with started:
                first = not state["initialized"]
                state["initialized"] = True
            if first:
                await ptb.initialize()
            await ptb.process_update(Update.de_json(data, ptb.bot))

        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(go())
        finally:
            loop.close()
        return {}

    @app.get("/readyz")
    def readyz() -> Any:
        return {"ok": True}


if KIND == "broken":
    _broken_views()
else:
    _tgserve_views()


if __name__ == "__main__":
    app.run("127.0.0.1", int(os.environ["TGSERVE_TEST_PORT"]), threaded=True)

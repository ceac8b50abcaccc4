"""The WSGI host for many bots: one app, a route per bot (:mod:`tgserve._multibot`), every
bot's runtime on the process's one loop thread."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

from tgserve import _loopthread as loopthread
from tgserve._gate import Query, Response
from tgserve._hosts.wsgi_io import (
    Environ,
    StartResponse,
    environ_request,
    on_loop,
    send,
    verdict_of,
)
from tgserve._multibot import Bots, BotSpec, bot_request
from tgserve._unanswered import DEPLOYMENT_WAIT, patience


class BotsWSGIApp:
    """A WSGI callable serving a mapping of bots; rebuilt after a fork, like the one-bot app."""

    def __init__(self, bots: Mapping[str, BotSpec | Any], options: Mapping[str, Any]) -> None:
        self.specs = dict(bots)
        self.options = dict(options)
        self._bots = Bots(self.specs, self.options, host="wsgi")
        self._lock = threading.Lock()
        self._thread: loopthread.LoopThread | None = None
        self.max_body_bytes = min(
            (w.runtime.config.max_body_bytes for w in self._bots.webhooks.values()),
            default=1 << 20,
        )

    @property
    def bots(self) -> Bots:
        """The bots bound to this process's live loop thread (``add``/``remove`` through
        :func:`tgserve._loopthread.run`, as they are coroutines on that loop)."""
        thread = loopthread.get()
        if self._thread is thread:
            return self._bots
        with self._lock:
            if self._thread is not thread:
                if self._thread is not None:
                    self._bots = Bots(self.specs, self.options, host="wsgi")
                loopthread.on_exit(self._bots.stop, thread)
                self._thread = thread
        return self._bots

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        return send(environ, start_response, self._respond(environ), self.max_body_bytes)

    def _respond(self, environ: Environ) -> Response:
        bots = self.bots
        request = environ_request(environ)
        target = bot_request(bots, request)
        if isinstance(target, Response):
            return target
        if isinstance(target, Query):
            return on_loop(bots.answer(target), target, DEPLOYMENT_WAIT)
        verdict = verdict_of(target, request, environ)
        now = target.answer_now(verdict)
        if now is not None:
            return now
        wait = patience(verdict, target.runtime.config)
        return on_loop(target.answer(verdict), verdict, wait)


def wsgi_bots(bots: Mapping[str, BotSpec | Any], /, **options: Any) -> BotsWSGIApp:
    """A WSGI app serving a mapping of route id -> bot; ``options`` are shared defaults."""
    return BotsWSGIApp(bots, options)

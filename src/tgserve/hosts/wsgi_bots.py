"""The WSGI host for many bots: one app, a route per bot (:mod:`tgserve.multibot`), every
bot's runtime on the process's one loop thread."""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from tgserve import loopthread
from tgserve.gate import Query, Response, error
from tgserve.hosts.wsgi_io import (
    READY_TIMEOUT,
    SLACK,
    Environ,
    StartResponse,
    close_after,
    environ_request,
    read_body,
    reason_phrase,
    settle_body,
)
from tgserve.multibot import Bots, BotSpec, bot_request
from tgserve.webhook import ReadBody

log = logging.getLogger("tgserve.wsgi")


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
        :func:`tgserve.loopthread.run`, as they are coroutines on that loop)."""
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
        response = self._respond(environ)
        headers = [*response.headers, ("content-length", str(len(response.body)))]
        if not settle_body(environ, self.max_body_bytes):
            close_after(start_response)
        start_response(f"{response.status} {reason_phrase(response.status)}", headers)
        return [b"" if environ.get("REQUEST_METHOD") == "HEAD" else response.body]

    def _respond(self, environ: Environ) -> Response:
        bots = self.bots
        request = environ_request(environ)
        target = bot_request(bots, request)
        if isinstance(target, Response):
            return target
        try:
            if isinstance(target, Query):
                timeout = READY_TIMEOUT + SLACK
                return loopthread.run(bots.answer(target), timeout)
            step = target.head(request)
            if isinstance(step, ReadBody):
                raw = read_body(environ, step.limit)
                if raw is not None:
                    environ["tgserve.body_read"] = True
                step = target.body(raw)
            now = target.answer_now(step)
            if now is not None:
                return now
            config = target.runtime.config
            timeout = config.inline_timeout + SLACK if config.ack == "inline" else SLACK
            return loopthread.run(target.answer(step), timeout)
        except concurrent.futures.TimeoutError:
            log.warning("the loop thread did not answer in time")
            return error(503, "the bot's loop did not answer in time", (("retry-after", "1"),))
        except Exception:
            log.exception("request failed on the loop thread")
            return error(503, "the bot's loop could not take the request", (("retry-after", "1"),))


def wsgi_bots(bots: Mapping[str, BotSpec | Any], /, **options: Any) -> BotsWSGIApp:
    """A WSGI app serving a mapping of route id -> bot; ``options`` are shared defaults."""
    return BotsWSGIApp(bots, options)

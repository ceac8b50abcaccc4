"""The WSGI host: a WSGI app for gunicorn, Flask or Django, whose bot runs on the loop thread.

Each request is translated into a gate :class:`~tgserve._gate.Request` in the request's
thread, then the runtime answers it on the process's one loop thread
(:mod:`tgserve._loopthread`) while the request thread waits: on the handler's end in inline
mode, on acceptance in background mode.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, overload

from tgserve import _loopthread as loopthread
from tgserve._bots import Target
from tgserve._config import Config
from tgserve._gate import Response
from tgserve._hosts.wsgi_io import (
    Environ,
    StartResponse,
    environ_request,
    on_loop,
    send,
    verdict_of,
)
from tgserve._runtime import Runtime
from tgserve._unanswered import SLACK, Fault, patience, unanswered
from tgserve._webhook import Webhook

if TYPE_CHECKING:
    from tgserve._hosts.wsgi_bots import BotsWSGIApp

log = logging.getLogger("tgserve.wsgi")


class WSGIApp:
    """A WSGI callable. ``call(environ)`` gives ``(status, headers, body)`` for a delegating
    view (Django); calling it as WSGI app serves the routes directly (Flask, gunicorn)."""

    def __init__(self, target: Target, config: Config, *, bot: Any = None) -> None:
        self.target = target
        self.bot = bot
        self.config = config
        self._lock = threading.Lock()
        self._runtime = Runtime(target, config, bot=bot, host="wsgi")
        self._webhook = Webhook(self._runtime)
        self._thread: loopthread.LoopThread | None = None

    @property
    def runtime(self) -> Runtime:
        """The runtime bound to this process's live loop thread (rebuilt after a fork or
        after the loop thread died, since the old one belongs to a dead loop)."""
        return self._bound().runtime

    def _bound(self) -> Webhook:
        """The request path of the runtime bound to this process's live loop thread."""
        thread = loopthread.get()
        if self._thread is thread:
            return self._webhook
        with self._lock:
            if self._thread is not thread:
                if self._thread is not None or self._runtime.loop is not None:
                    self._runtime = Runtime(self.target, self.config, bot=self.bot, host="wsgi")
                    self._webhook = Webhook(self._runtime)
                loopthread.on_exit(self._runtime.stop, thread)
                self._thread = thread
        return self._webhook

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        response = self._respond(environ)
        return send(environ, start_response, response, self.config.max_body_bytes)

    def call(
        self, environ: Environ, body: bytes | None = None
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """Answer one request given as a WSGI environ; ``body`` when the framework has read
        it already (Django's ``request.body``)."""
        response = self._respond(environ, body)
        headers = [*response.headers, ("content-length", str(len(response.body)))]
        return response.status, headers, response.body

    def _respond(self, environ: Environ, given: bytes | None = None) -> Response:
        verdict = verdict_of(self._webhook, environ_request(environ), environ, given)
        now = self._webhook.answer_now(verdict)
        if now is not None:
            return now
        thread = loopthread.peek()
        if thread is not None and not thread.alive:
            loopthread.get()  # another loop thread for this request, or for the next one
            refused = unanswered(verdict, Fault.DEAD, 0.0)  # readiness reports the death
            if refused is not None:
                return refused
        webhook = self._bound()
        return on_loop(webhook.answer(verdict), verdict, patience(verdict, self.config))

    def close(self, grace: float | None = None) -> None:
        """Stop the runtime now (at process exit it is stopped anyway)."""
        thread = loopthread.peek()
        if thread is None or self._thread is not thread or not thread.alive:
            return
        if self._runtime.stop in thread.shutdowns:
            thread.shutdowns.remove(self._runtime.stop)
        budget = (self.config.grace_period if grace is None else grace) + SLACK
        loopthread.run(self._runtime.stop(grace), budget)


@overload
def wsgi(target: Mapping[str, Any], /, *, bot: Any = None, **options: Any) -> BotsWSGIApp: ...
@overload
def wsgi(target: Target, /, *, bot: Any = None, **options: Any) -> WSGIApp: ...
def wsgi(target: Any, /, *, bot: Any = None, **options: Any) -> WSGIApp | BotsWSGIApp:
    """A WSGI app serving ``target`` (a plain handler, PTB Application or aiogram Dispatcher).

    A mapping of route id -> bot serves many bots, one route each (:mod:`tgserve._multibot`).
    """
    if isinstance(target, Mapping):
        from tgserve._hosts.wsgi_bots import wsgi_bots

        return wsgi_bots(target, **options)
    return WSGIApp(target, Config.load(options), bot=bot)

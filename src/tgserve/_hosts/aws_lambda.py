"""The AWS Lambda host: ``handler = tgserve.aws_lambda(bot)``.

One event loop serves every warm invocation of the container: it is made on first
use, never closed between invocations, and closed at interpreter exit. The bot is
initialised once on it, so its HTTP clients stay bound to a live loop.
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import binascii
import contextlib
import json
import logging
import threading
import time
import weakref
from collections.abc import Coroutine
from typing import Any, TypeVar

from tgserve import _logs as logs
from tgserve._bots import Target
from tgserve._coldstart import cold_phase
from tgserve._config import Config, ConfigError
from tgserve._gate import Request, Response, Unreadable, Verdict
from tgserve._hosts.lambda_events import EventError, EventSource, HttpV2, infer
from tgserve._runtime import Runtime
from tgserve._webhook import ReadBody, Webhook

log = logging.getLogger("tgserve.aws_lambda")

_lock = threading.RLock()
_runner: asyncio.Runner | None = None
_handlers: weakref.WeakSet[LambdaHandler] = weakref.WeakSet()


class LambdaHandler:
    """``handler(event, context) -> dict``: one invocation at a time, on the shared loop."""

    def __init__(self, runtime: Runtime, *, base_path: str = "", timeout_margin: float = 1.0):
        self.runtime = runtime
        self.webhook = Webhook(runtime)
        self.base_path = base_path
        self.timeout_margin = timeout_margin
        self.cold = True
        _handlers.add(self)

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The loop every invocation runs on (``None`` before the first)."""
        return None if _runner is None else _runner.get_loop()

    def __call__(self, event: Any, context: Any = None) -> dict[str, Any]:
        began = time.perf_counter()
        request_id = getattr(context, "aws_request_id", None)
        with _lock:
            cold, self.cold = self.cold, False
            # the cold invocation starts the bot and imports its HTTP client
            phase = (
                cold_phase("invocation", self.runtime.config.gc_freeze)
                if cold
                else contextlib.nullcontext()
            )
            with phase, logs.stamp(aws_request_id=request_id, cold_start=cold):
                source, method, path, response = self._invoke(event, context)
        result = source.response(response, head=method == "HEAD")
        level = logging.INFO if cold or response.status >= 500 else logging.DEBUG
        if log.isEnabledFor(level):
            extra = {"aws_request_id": request_id, "cold_start": cold, "source": source.name}
            ms = (time.perf_counter() - began) * 1000
            line = "%s %s -> %d in %.1f ms"
            log.log(level, line, method, path, response.status, ms, extra=extra)
        return result

    def _invoke(self, event: Any, context: Any) -> tuple[EventSource, str, str, Response]:
        refuse_running_loop()  # whatever the request, so the mistake shows on the first call
        try:
            source = self.read_event(event)
        except EventError as exc:
            log.warning("not an HTTP event: %s", exc)
            return (
                self.unknown_source(),
                "-",
                "-",
                self._answer(self.webhook.unreadable("not an HTTP event"), context),
            )
        try:
            incoming = source.incoming(self.base_path)
        except EventError as exc:
            log.warning("bad %s event: %s", source.name, exc)
            verdict = self.webhook.unreadable(f"bad event: {exc}")
            return source, "-", "-", self._answer(verdict, context)
        request = Request(incoming.method, incoming.path, incoming.headers, b"", incoming.client)
        step = self.webhook.head(request)
        if isinstance(step, ReadBody):
            step = self.webhook.body(_body(incoming.body, incoming.base64, step.limit))
        return source, incoming.method, incoming.path, self._answer(step, context)

    def _answer(self, verdict: Verdict, context: Any) -> Response:
        now = self.webhook.answer_now(verdict)
        if now is not None:
            return now
        response: Response = _on_loop(
            self.webhook.answer(verdict, deadline=self._deadline(context))
        )
        return response

    def read_event(self, event: Any) -> EventSource:
        """The event's source (:class:`EventError` if none); other platforms' hosts override it."""
        return infer(event)

    def unknown_source(self) -> EventSource:
        """The shape to answer an event of no known source in."""
        return HttpV2({})

    def _deadline(self, context: Any) -> float | None:
        if self.runtime.config.ack != "inline":
            return None
        budget = self.runtime.config.inline_timeout
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        if callable(remaining):
            with contextlib.suppress(TypeError, ValueError):
                budget = min(budget, float(remaining()) / 1000 - self.timeout_margin)
        return _shared_runner().get_loop().time() + budget

    def close(self, grace: float | None = None) -> None:
        """Stop the bot (drain, shut down its clients); the loop stays for other handlers."""
        with _lock:
            if _runner is not None and self.runtime.state not in ("new", "stopped"):
                run(self.runtime.stop(grace))
            _handlers.discard(self)


def _shared_runner() -> asyncio.Runner:
    global _runner
    with _lock:
        if _runner is None:
            _runner = asyncio.Runner(loop_factory=asyncio.new_event_loop)
            atexit.register(shutdown)
        return _runner


def refuse_running_loop() -> None:
    """Raise when called from a running loop: a Lambda handler is synchronous."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise RuntimeError(
        "a Lambda handler is synchronous, as Lambda calls it; "
        "from async code, call it with asyncio.to_thread"
    )


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run ``coro`` to completion on the process's one Lambda loop, made on first use."""
    try:
        refuse_running_loop()
    except RuntimeError:
        coro.close()
        raise
    return _on_loop(coro)


def _on_loop(coro: Coroutine[Any, Any, Any]) -> Any:
    with _lock:
        # Not Runner.run: it re-installs a SIGINT handler around every call, which costs
        # more than a whole invocation's own work; Lambda never sends SIGINT.
        return _shared_runner().get_loop().run_until_complete(coro)


def shutdown(grace: float = 2.0) -> None:
    """Stop every handler's bot and close the loop (registered with ``atexit``)."""
    global _runner
    with _lock:
        if _runner is None:
            return
        for handler in list(_handlers):
            try:
                handler.close(grace)
            except Exception:
                log.exception("stopping the bot at exit failed")
        _runner.close()
        _runner = None


def _body(raw: Any, encoded: bool, limit: int) -> bytes | Unreadable | None:
    """The event's body as bytes (the gate judges its size), ``None`` when it cannot fit
    the limit (so it is not decoded), or why it cannot be read."""
    if raw is None:
        return b""
    if isinstance(raw, dict | list):  # a console test event with the update pasted as JSON
        raw = json.dumps(raw)
    if not isinstance(raw, str):
        return Unreadable("event body must be a string")
    most = (limit + 2) // 3 * 4 + 4 if encoded else limit  # characters that can fit it
    if len(raw) > most:
        return None
    try:
        return base64.b64decode(raw, validate=True) if encoded else raw.encode("utf-8")
    except (binascii.Error, ValueError):
        return Unreadable("body is not valid base64" if encoded else "body is not valid UTF-8")


H = TypeVar("H", bound=LambdaHandler)


def frozen_host(
    kind: type[H],
    target: Target,
    *,
    host: str,
    platform: str,
    bot: Any,
    init_at_import: bool,
    base_path: str | None,
    timeout_margin: float,
    options: dict[str, Any],
) -> H:
    """A ``kind`` handler for a platform that freezes its instance between invocations
    (``ack`` inline by default, ``background`` refused); AWS Lambda's and Yandex's share it."""
    config = Config.load(options, host_defaults={"ack": "inline", "metrics": False})
    if config.ack == "background":
        raise ConfigError(
            f"ack='background' cannot work on {platform}: the instance is frozen when the "
            "handler returns; use 'inline' (the default) or 'queue' with a worker elsewhere"
        )
    if timeout_margin < 0:
        raise ConfigError("timeout_margin must be at least 0")
    runtime = Runtime(target, config, bot=bot, host=host, long_running=False, consume=False)
    handler = kind(runtime, base_path=(base_path or "").rstrip("/"), timeout_margin=timeout_margin)
    if init_at_import:
        run(runtime.start())
    return handler


def aws_lambda(
    target: Target,
    /,
    *,
    bot: Any = None,
    init_at_import: bool = False,
    base_path: str | None = None,
    timeout_margin: float = 1.0,
    **options: Any,
) -> LambdaHandler:
    """A Lambda handler serving ``target`` (plain handler, PTB Application, aiogram Dispatcher).

    ``ack`` is ``inline`` (the process is frozen once the handler returns; ``background``
    is refused) or ``queue`` (store and answer; workers elsewhere handle the updates).
    ``base_path`` is taken off the front of every path (a custom domain's mapping).
    ``timeout_margin`` seconds before Lambda's own timeout, a running update is cancelled,
    released, and answered 503 so Telegram delivers it again.
    """
    return frozen_host(
        LambdaHandler,
        target,
        host="aws_lambda",
        platform="AWS Lambda",
        bot=bot,
        init_at_import=init_at_import,
        base_path=base_path,
        timeout_margin=timeout_margin,
        options=options,
    )

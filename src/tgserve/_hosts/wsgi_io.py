"""WSGI plumbing shared by the one-bot host (:mod:`tgserve._hosts.wsgi`) and the many-bots
host (:mod:`tgserve._hosts.wsgi_bots`): the environ as a gate request, the webhook's verdict
with the bounded body read, the wait on the loop thread, and the answer sent back."""

from __future__ import annotations

import concurrent.futures
import logging
from collections.abc import Callable, Coroutine, Iterable
from http import HTTPStatus
from typing import Any

from tgserve import _loopthread as loopthread
from tgserve._gate import Request, Response, Verdict
from tgserve._unanswered import Fault, unanswered
from tgserve._webhook import ReadBody, Webhook

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
READ_CHUNK = 64 * 1024

log = logging.getLogger("tgserve.wsgi")


def environ_request(environ: Environ) -> Request:
    """The gate request of a WSGI environ: method, path, headers, client (no body yet)."""
    headers: dict[str, str] = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].replace("_", "-").lower()] = str(value)
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = str(environ[key])
    path = environ.get("PATH_INFO") or "/"
    if isinstance(path, str):
        path = path.encode("latin-1", "replace").decode("utf-8", "replace")
    return Request(
        str(environ.get("REQUEST_METHOD", "GET")),
        path,
        headers,
        b"",
        environ.get("REMOTE_ADDR") or None,
    )


def read_body(environ: Environ, limit: int) -> bytes | None:
    """The body, bounded: ``None`` as soon as it passes ``limit`` (the rest is not read)."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = environ.get("CONTENT_LENGTH")
    try:
        expected = int(length) if length else None
    except ValueError:
        expected = None
    if expected is not None:
        if expected > limit:
            return None
        data: bytes = stream.read(expected) if expected else b""
        return data
    chunks: list[bytes] = []
    size = 0
    while True:  # no length (chunked): read until EOF, at most limit + 1 bytes
        chunk = stream.read(min(READ_CHUNK, limit + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return None


def settle_body(environ: Environ, budget: int) -> bool:
    """Read and drop what is left of the request body, at most ``budget`` bytes; True when
    the body is all read, so the connection can take the next request (keep-alive)."""
    if environ.get("tgserve.body_read"):
        return True
    stream = environ.get("wsgi.input")
    if stream is None or environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
        return True
    try:
        length = int(environ.get("CONTENT_LENGTH") or -1)
    except ValueError:
        return False
    if length > budget:
        return False
    if length >= 0:  # none of it was read (the gate refused it first): read just that much
        while length > 0:
            chunk = stream.read(min(READ_CHUNK, length))
            if not chunk:
                return False
            length -= len(chunk)
        return True
    if "chunked" not in str(environ.get("HTTP_TRANSFER_ENCODING", "")).lower():
        return True  # no length, not chunked: no body
    left = budget  # chunked: the server's stream ends with the body
    while left >= 0:
        chunk = stream.read(min(READ_CHUNK, left + 1))
        if not chunk:
            return True
        left -= len(chunk)
    return False


def close_after(start_response: StartResponse) -> None:
    """Ask the server to close the connection after this answer (a body was left unread).

    gunicorn's ``start_response`` is a method of its response, whose ``force_close`` makes
    it answer ``Connection: close`` and close; other servers skip an unread body themselves.
    """
    force = getattr(getattr(start_response, "__self__", None), "force_close", None)
    if callable(force):
        force()


def reason_phrase(status: int) -> str:
    """The status line's reason (``"OK"``), ``"Unknown"`` for a code HTTP does not name."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def verdict_of(
    webhook: Webhook, request: Request, environ: Environ, given: bytes | None = None
) -> Verdict:
    """The webhook's verdict: on the head, then on the body read within its limit (or
    ``given``, a body the framework has read already)."""
    verdict = webhook.head(request)
    if isinstance(verdict, ReadBody):
        raw = read_body(environ, verdict.limit) if given is None else given
        if raw is not None and given is None:
            environ["tgserve.body_read"] = True
        verdict = webhook.body(raw)
    return verdict


def on_loop(answer: Coroutine[Any, Any, Response], verdict: Verdict, timeout: float) -> Response:
    """``answer`` (to ``verdict``) run on the loop thread, waited for ``timeout`` seconds
    (:mod:`tgserve._unanswered` says how long); the core's answer when the loop gives none."""
    try:
        return loopthread.run(answer, timeout)
    except concurrent.futures.TimeoutError:
        log.warning("the loop thread did not answer within %.0fs", timeout)
        fault = Fault.LATE
    except Exception:
        log.exception("request failed on the loop thread")
        fault = Fault.FAILED
    response = unanswered(verdict, fault, timeout)
    assert response is not None  # a late or failed call always has its answer
    return response


def send(
    environ: Environ, start_response: StartResponse, response: Response, budget: int
) -> Iterable[bytes]:
    """Send ``response``: its length, the connection closed after an unread body over
    ``budget`` bytes, and no body to a HEAD."""
    headers = [*response.headers, ("content-length", str(len(response.body)))]
    if not settle_body(environ, budget):
        close_after(start_response)
    start_response(f"{response.status} {reason_phrase(response.status)}", headers)
    return [b"" if environ.get("REQUEST_METHOD") == "HEAD" else response.body]

"""A small Lambda Runtime API server for tests: the documented protocol a runtime client
(awslambdaric) speaks to Lambda.

- ``GET /2018-06-01/runtime/invocation/next``: held until an event is queued, then the
  event with ``Lambda-Runtime-Aws-Request-Id``, ``Lambda-Runtime-Deadline-Ms``,
  ``Lambda-Runtime-Invoked-Function-Arn`` and ``Lambda-Runtime-Trace-Id``;
- ``POST .../invocation/{id}/response`` and ``.../invocation/{id}/error``: the outcome;
- ``POST /2018-06-01/runtime/init/error``: the function failed to start.
"""

from __future__ import annotations

import dataclasses
import json
import queue
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PREFIX = "/2018-06-01/runtime"
ARN = "arn:aws:lambda:eu-west-1:123456789012:function:tgserve"


@dataclasses.dataclass
class Outcome:
    """What the runtime posted for one invocation (or for init: ``request_id`` ``init``)."""

    request_id: str
    kind: str  # "response" | "error" | "init-error"
    body: Any
    error_type: str | None
    seconds: float  # from the event's hand-over to the outcome


@dataclasses.dataclass
class _Pending:
    event: Any
    deadline_ms: int
    done: threading.Event = dataclasses.field(default_factory=threading.Event)
    taken_at: float = 0.0
    outcome: Outcome | None = None


class RuntimeAPI:
    """The server on 127.0.0.1 and a free port; ``address`` goes in ``AWS_LAMBDA_RUNTIME_API``."""

    def __init__(self) -> None:
        self.events: queue.Queue[str] = queue.Queue()
        self.pending: dict[str, _Pending] = {}
        self.init_errors: list[Outcome] = []
        self.init_error_seen = threading.Event()
        self.polls = 0
        self.stopping = threading.Event()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.httpd.server_port}"

    def __enter__(self) -> RuntimeAPI:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)

    def invoke(self, event: Any, *, timeout: float = 10.0, wait: float | None = None) -> Outcome:
        """Queue ``event`` with ``timeout`` seconds until its deadline; wait for the outcome."""
        request_id = str(uuid.uuid4())
        deadline_ms = int((time.time() + timeout) * 1000)
        self.pending[request_id] = item = _Pending(event, deadline_ms)
        self.events.put(request_id)
        if not item.done.wait(timeout + 10 if wait is None else wait):
            raise TimeoutError(f"no outcome for invocation {request_id} within the wait")
        assert item.outcome is not None
        return item.outcome

    def _next(self) -> tuple[str, _Pending] | None:
        self.polls += 1
        while not self.stopping.is_set():
            try:
                request_id = self.events.get(timeout=0.2)
            except queue.Empty:
                continue
            item = self.pending[request_id]
            item.taken_at = time.perf_counter()
            return request_id, item
        return None

    def _record(self, request_id: str, kind: str, body: Any, error_type: str | None) -> bool:
        if kind == "init-error":
            self.init_errors.append(Outcome("init", kind, body, error_type, 0.0))
            self.init_error_seen.set()
            return True
        item = self.pending.get(request_id)
        if item is None or item.outcome is not None:
            return False
        item.outcome = Outcome(
            request_id, kind, body, error_type, time.perf_counter() - item.taken_at
        )
        item.done.set()
        return True


def _handler(api: RuntimeAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return None

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path != f"{PREFIX}/invocation/next":
                self._send(404, b'{"errorMessage":"not found"}')
                return
            taken = api._next()
            if taken is None:
                self._send(500, b'{"errorMessage":"shutting down"}')
                return
            request_id, item = taken
            headers = {
                "Lambda-Runtime-Aws-Request-Id": request_id,
                "Lambda-Runtime-Deadline-Ms": str(item.deadline_ms),
                "Lambda-Runtime-Invoked-Function-Arn": ARN,
                "Lambda-Runtime-Trace-Id": f"Root=1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]}",
            }
            self._send(200, json.dumps(item.event).encode(), headers)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body: Any = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode("utf-8", "replace")
            error_type = self.headers.get("Lambda-Runtime-Function-Error-Type")
            parts = self.path.removeprefix(PREFIX).strip("/").split("/")
            if parts == ["init", "error"]:
                ok = api._record("", "init-error", body, error_type)
            elif len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                ok = api._record(parts[1], parts[2], body, error_type)
            else:
                self._send(404, b'{"errorMessage":"not found"}')
                return
            if ok:
                self._send(202, b'{"status":"OK"}')
            else:
                self._send(400, b'{"errorMessage":"unknown or finished invocation"}')

    return Handler

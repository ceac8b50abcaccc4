"""The WSGI host behind the contract suite's client interface: in-process and over a socket."""

from __future__ import annotations

import asyncio
import contextlib
import io
import threading
from collections.abc import AsyncIterator
from typing import Any

from tests.contract.hosts import HostClient, HttpxClient, Reply, one_connection

import tgserve
from tgserve._hosts.wsgi import WSGIApp


class WSGIClient:
    """Calls the WSGI app in a worker thread, as a threaded WSGI server would."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    async def request(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> Reply:
        return await asyncio.to_thread(self._call, method, path, headers or {}, body)

    def _call(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "SCRIPT_NAME": "",
            "QUERY_STRING": "",
            "SERVER_NAME": "test",
            "SERVER_PORT": "80",
            "REMOTE_ADDR": "127.0.0.1",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http",
        }
        for name, value in headers.items():
            key = name.upper().replace("-", "_")
            environ[key if key == "CONTENT_TYPE" else f"HTTP_{key}"] = value
        started: list[Any] = []

        def start_response(status: str, response_headers: list[tuple[str, str]]) -> None:
            started.extend([status, response_headers])

        chunks = self.app(environ, start_response)
        status, response_headers = started
        return Reply(
            int(status.split()[0]), {k.lower(): v for k, v in response_headers}, b"".join(chunks)
        )


@contextlib.asynccontextmanager
async def open_wsgi(
    target: Any, options: dict[str, Any], *, server: bool = False
) -> AsyncIterator[HostClient]:
    """The WSGI app called directly, or under werkzeug's threaded server on a real socket."""
    app = tgserve.wsgi(target, **options)
    try:
        if not server:
            yield WSGIClient(app)
            return
        from werkzeug.serving import WSGIRequestHandler, make_server

        class KeepAlive(WSGIRequestHandler):
            protocol_version = "HTTP/1.1"

        httpd = make_server("127.0.0.1", 0, app, threaded=True, request_handler=KeepAlive)
        # shutdown() waits for serve_forever's next poll: 0.5 s by default, every test
        thread = threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True)
        thread.start()
        try:
            url = f"http://127.0.0.1:{httpd.server_port}"
            async with one_connection(url) as client:
                yield HttpxClient(client)
        finally:
            httpd.shutdown()
            httpd.server_close()
            thread.join(5)
    finally:
        await asyncio.to_thread(app.close, 1.0)

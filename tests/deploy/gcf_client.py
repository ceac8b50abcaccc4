"""The Cloud Functions host behind the contract suite's client interface.

``functions-framework``'s own app (``create_app``, its Flask routing and request objects)
loads a source file exporting the function, served by werkzeug's threaded server on a
real socket. The out-of-process run (the ``functions-framework`` command) is in
test_gcf.py.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

import tgserve
from tests.contract.hosts import HostClient, HttpxClient
from tests.deploy import slot

SOURCE = Path(__file__).parent / "apps" / "gcf_contract.py"


@contextlib.asynccontextmanager
async def open_gcf(target: Any, options: dict[str, Any]) -> AsyncIterator[HostClient]:
    import functions_framework
    from werkzeug.serving import make_server

    function = tgserve.gcf(target, **options)
    slot.function = function
    try:
        app = functions_framework.create_app("handler", str(SOURCE), "http")
    finally:
        slot.function = None
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    # shutdown() waits for serve_forever's next poll: 0.5 s by default, every test
    thread = threading.Thread(target=httpd.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_port}"
        async with httpx.AsyncClient(base_url=url) as client:
            yield HttpxClient(client)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
        function.close(1.0)

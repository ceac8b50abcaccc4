"""The Bot API for the benchmark: tgserve.testing.BotAPIStub under uvicorn, in its own process.

Wrapped with two control routes the harness reads: ``GET /_count`` (sendMessage calls
recorded so far, and the times of the first and the last one) and ``POST /_reset``
(forget them all).
Run: ``python bench/stub.py --port 8081``.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from tgserve.testing import BotAPIStub


class CountingStub:
    """Answers the control routes; hands everything else to the recording stub."""

    def __init__(self) -> None:
        self.stub = BotAPIStub()
        self.count = 0
        self.first = 0.0  # time.time() of the first recorded sendMessage since the reset
        self.last = 0.0  # time.time() of the last recorded sendMessage

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path in ("/_count", "/_reset"):
            if path == "/_reset":
                self.stub.calls.clear()
                self.stub.by_chat.clear()
                self.count = 0
                self.first = 0.0
            body = json.dumps(
                {"count": self.count, "first": self.first, "last": self.last}
            ).encode()
            headers = [(b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        before = len(self.stub.calls)
        await self.stub(scope, receive, send)
        if path.endswith("/sendMessage") and len(self.stub.calls) > before:
            self.count += 1
            self.last = time.time()
            if self.count == 1:
                self.first = self.last


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(
        CountingStub(),
        host="127.0.0.1",
        port=args.port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()

"""Run as a script: a WSGI app used before a fork, in the forked child, and drained at exit."""

from __future__ import annotations

import io
import json
import logging
import os
import sys
from typing import Any

import tgserve
from tgserve import _loopthread as loopthread

HANDLED: list[int] = []


async def handle(update: dict[str, Any], bot: tgserve.BotAPI) -> None:
    HANDLED.append(update["update_id"])


def post(app: Any, update_id: int) -> int:
    body = json.dumps({"update_id": update_id}).encode()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/webhook",
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/json",
        "wsgi.input": io.BytesIO(body),
    }
    status: int = app.call(environ)[0]
    return status


def main() -> int:
    logging.basicConfig(level=logging.INFO, format=f"{os.getpid()} %(name)s %(message)s")
    app = tgserve.wsgi(handle, token=os.environ["TELEGRAM_BOT_TOKEN"], ack="inline")
    assert post(app, 1) == 200 and HANDLED == [1]
    parent_thread = loopthread.get().thread
    pid = os.fork()
    if pid == 0:
        assert post(app, 2) == 200, "child request failed"
        assert HANDLED == [1, 2], HANDLED
        assert loopthread.get().thread is not parent_thread
        print("child ok", flush=True)
        sys.exit(0)  # atexit drains the child's loop thread
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "child failed"
    assert post(app, 3) == 200 and HANDLED == [1, 3]
    print("parent ok", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

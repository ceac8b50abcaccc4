"""The Lambda handler behind the contract suite's client interface.

The handler is synchronous and runs its own loop, as on Lambda, so each request is a
call in a worker thread; the test's loop is never the handler's loop.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from tests.contract.hosts import HostClient, Reply

import tgserve
from tgserve._hosts.aws_lambda import LambdaHandler
from tgserve._hosts.lambda_samples import SOURCES, LocalContext, Source, event


def reply_of(result: dict[str, Any]) -> Reply:
    """A handler's answer as an HTTP reply, checking the fields every source needs."""
    assert isinstance(result["statusCode"], int)
    assert isinstance(result["body"], str) and isinstance(result["isBase64Encoded"], bool)
    body = result["body"].encode()
    if result["isBase64Encoded"]:
        body = base64.b64decode(body)
    headers = dict(result.get("headers") or {})
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.setdefault(name, ", ".join(values))
    return Reply(result["statusCode"], headers, body)


class LambdaClient:
    def __init__(self, handler: LambdaHandler, source: Source) -> None:
        self.handler = handler
        self.source = source

    async def request(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> Reply:
        ev = event(self.source, method, path, headers, body, client="127.0.0.1")
        result = await asyncio.to_thread(self.handler, ev, LocalContext(10))
        return reply_of(result)


@contextlib.asynccontextmanager
async def open_lambda(
    source: str, target: Any, options: dict[str, Any]
) -> AsyncIterator[HostClient]:
    assert source in SOURCES
    handler = tgserve.aws_lambda(target, **options)
    try:
        yield LambdaClient(handler, source)
    finally:
        await asyncio.to_thread(handler.close, 1.0)

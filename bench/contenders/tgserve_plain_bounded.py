"""Experiment, not in the main table: tgserve with the plain bot whose BotAPI client lets at
most 4 requests be in flight (an httpx transport behind a semaphore), to show what
bounding httpx's pool does to CPU per update: ``bench/run.py --only tgserve-plain-bounded``."""

import asyncio
from typing import Any

import httpx
from _common import TOKEN, parse_args, plain_bot, run_uvicorn

import tgserve


class Bounded(httpx.AsyncBaseTransport):
    """At most ``slots`` requests inside httpx's connection pool at once."""

    def __init__(self, slots: int) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.slots = asyncio.Semaphore(slots)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        async with self.slots:
            response = await self.inner.handle_async_request(request)
            await response.aread()
            return response

    async def aclose(self) -> None:
        await self.inner.aclose()


if __name__ == "__main__":
    args = parse_args(__doc__ or "")
    client = httpx.AsyncClient(transport=Bounded(4), timeout=30)
    bot: Any = tgserve.BotAPI(TOKEN, args.api_url, client=client)
    app = tgserve.asgi(plain_bot(), bot=bot, api_url=args.api_url, ack="background")
    run_uvicorn(app, args.port)

"""The usual custom webhook: FastAPI awaiting ``application.process_update`` in the route."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from _common import parse_args, ptb_application, run_uvicorn

if __name__ == "__main__":
    from fastapi import FastAPI, Request, Response
    from telegram import Update

    args = parse_args(__doc__)
    application = ptb_application(args.api_url)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with application:
            await application.start()
            yield
            await application.stop()

    api = FastAPI(lifespan=lifespan)

    @api.post("/webhook")
    async def webhook(request: Request) -> Response:
        data = await request.json()
        await application.process_update(Update.de_json(data, application.bot))
        return Response()

    run_uvicorn(api, args.port)

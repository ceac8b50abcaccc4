"""tgserve with an aiogram Dispatcher, under uvicorn (uvloop, httptools)."""

from _common import aiogram_bot, parse_args, run_uvicorn

import tgserve

if __name__ == "__main__":
    args = parse_args(__doc__)
    dispatcher, bot = aiogram_bot(args.api_url)
    app = tgserve.asgi(dispatcher, bot=bot, api_url=args.api_url, ack="background")
    run_uvicorn(app, args.port)

"""tgserve with a plain ``async def`` bot, under uvicorn (uvloop, httptools), ack=background."""

from _common import TOKEN, parse_args, plain_bot, run_uvicorn

import tgserve

if __name__ == "__main__":
    args = parse_args(__doc__)
    app = tgserve.asgi(plain_bot(), token=TOKEN, api_url=args.api_url, ack="background")
    run_uvicorn(app, args.port)

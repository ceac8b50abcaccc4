"""Experiment: tgserve with the plain bot whose BotAPI sends through httpx instead of aiohttp,
to show what the transport costs: ``bench/run.py --only tgserve-plain tgserve-plain-httpx``."""

from typing import Any

from _common import TOKEN, parse_args, plain_bot, run_uvicorn

import tgserve

if __name__ == "__main__":
    args = parse_args(__doc__ or "")
    bot: Any = tgserve.BotAPI(TOKEN, args.api_url, http="httpx")
    app = tgserve.asgi(plain_bot(), bot=bot, api_url=args.api_url, ack="background")
    run_uvicorn(app, args.port)

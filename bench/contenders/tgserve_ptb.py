"""tgserve with a python-telegram-bot Application, under uvicorn (uvloop, httptools)."""

from _common import parse_args, ptb_application, run_uvicorn

import tgserve

if __name__ == "__main__":
    args = parse_args(__doc__)
    app = tgserve.asgi(ptb_application(args.api_url), api_url=args.api_url, ack="background")
    run_uvicorn(app, args.port)

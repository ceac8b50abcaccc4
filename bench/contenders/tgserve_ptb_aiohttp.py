"""tgserve with the same PTB Application built with ``.request(AiohttpRequest())``."""

from _common import parse_args, ptb_application, run_uvicorn

import tgserve

if __name__ == "__main__":
    args = parse_args(__doc__)
    application = ptb_application(args.api_url, aiohttp=True)
    app = tgserve.asgi(application, api_url=args.api_url, ack="background")
    run_uvicorn(app, args.port)

"""tgserve with the PTB Application built the default way, the aiohttp swap turned off
(``ptb_aiohttp=False``): PTB's stock ``HTTPXRequest`` as it is (the "before")."""

from _common import parse_args, ptb_application, run_uvicorn

import tgserve

if __name__ == "__main__":
    args = parse_args(__doc__)
    application = ptb_application(args.api_url)
    app = tgserve.asgi(application, api_url=args.api_url, ack="background", ptb_aiohttp=False)
    run_uvicorn(app, args.port)

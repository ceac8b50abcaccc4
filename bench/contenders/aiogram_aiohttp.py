"""aiogram's ``SimpleRequestHandler`` on aiohttp, handling updates in the background."""

from _common import aiogram_bot, parse_args

if __name__ == "__main__":
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
    from aiohttp import web

    args = parse_args(__doc__)
    dispatcher, bot = aiogram_bot(args.api_url)
    app = web.Application()
    SimpleRequestHandler(dispatcher=dispatcher, bot=bot, handle_in_background=True).register(
        app, path="/webhook"
    )
    setup_application(app, dispatcher, bot=bot)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None)

"""The Flask pattern found in many tutorials: a threaded server where each request makes
a new event loop, runs PTB's ``process_update`` on it, and closes it.

The application (and its HTTP client) is initialised on a first loop; later loops
reuse a client bound to a closed loop, so some replies fail. The harness counts them.
"""

import asyncio
import logging

from _common import parse_args, ptb_application

if __name__ == "__main__":
    from flask import Flask, request
    from telegram import Update
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    args = parse_args(__doc__)
    application = ptb_application(args.api_url)
    asyncio.run(application.initialize())
    flask_app = Flask(__name__)

    @flask_app.post("/webhook")
    def webhook() -> tuple[str, int]:
        update = Update.de_json(request.get_json(force=True), application.bot)
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(application.process_update(update))
        finally:
            loop.close()
        return "", 200

    make_server("127.0.0.1", args.port, flask_app, threaded=True).serve_forever()

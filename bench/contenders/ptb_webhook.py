"""PTB's own ``Application.run_webhook`` (tornado), default settings.

``--concurrent`` builds the application with ``concurrent_updates(True)``.
"""

import sys

from _common import parse_args, ptb_application

if __name__ == "__main__":
    concurrent = "--concurrent" in sys.argv
    if concurrent:
        sys.argv.remove("--concurrent")
    args = parse_args(__doc__)
    app = ptb_application(args.api_url, concurrent=concurrent, updater=True)
    app.run_webhook(
        listen="127.0.0.1",
        port=args.port,
        url_path="webhook",
        webhook_url=f"http://127.0.0.1:{args.port}/webhook",
    )

"""``tgserve serve --workers N`` with one of the benchmark's bots (plain or PTB).

    tgserve_workers.py --port P --api-url URL --workers N --bot ptb [--store URL]

With N over 1 the store must be shared (``--store redis://...``) and the ack is queue.
The process becomes ``tgserve serve`` itself, so the harness stops it with one SIGTERM.
"""

import argparse
import os
import sys
from pathlib import Path

from _common import TOKEN

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--bot", choices=("plain", "ptb"), default="ptb")
    parser.add_argument("--store", default=None)
    parser.add_argument("--ack", default=None)
    args = parser.parse_args()
    env = dict(os.environ, TGSERVE_API_URL=args.api_url, TELEGRAM_BOT_TOKEN=TOKEN)
    if args.store:
        env["TGSERVE_STORE"] = args.store
    if args.ack:
        env["TGSERVE_ACK"] = args.ack
    target = f"{Path(__file__).with_name('served_bots.py')}:{args.bot}"
    command = [sys.executable, "-m", "tgserve", "serve", target, "--port", str(args.port),
               "--workers", str(args.workers), "--log-level", "warning"]  # fmt: skip
    os.execvpe(sys.executable, command, env)

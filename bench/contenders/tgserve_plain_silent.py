"""tgserve with a plain bot that sends nothing: the ack path alone, against the no-op ceiling
(under a flood with backpressure the replying bots' acks are paced by their handlers)."""

from typing import Any

from _common import TOKEN, parse_args, run_uvicorn

import tgserve


async def handle(update: dict[str, Any], bot: tgserve.BotAPI) -> None:
    return None


if __name__ == "__main__":
    args = parse_args(__doc__)
    app = tgserve.asgi(handle, token=TOKEN, api_url=args.api_url, ack="background")
    run_uvicorn(app, args.port)

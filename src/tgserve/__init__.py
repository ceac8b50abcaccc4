"""tgserve: run any async Telegram bot behind a webhook on any host, with one event loop."""

"""The bot's webhook on Telegram's side: registered at start by one process, watched by it.

``options`` validates the options, ``update_types`` picks the update types to subscribe
to, ``ledger`` keeps what was registered in the store, ``registrar`` decides and calls,
``health`` turns ``getWebhookInfo`` into what ``GET {path}`` and the metrics show,
``hook`` is the runtime's one entry point.
"""

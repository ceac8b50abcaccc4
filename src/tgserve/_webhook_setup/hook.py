"""The runtime's hook: build and start the registrar when ``webhook_url`` is set."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tgserve._bots.base import BotAdapter
    from tgserve._config import Config
    from tgserve._webhook_setup.registrar import Registrar

log = logging.getLogger("tgserve.webhook")


async def start_registrar(config: Config, host: str, adapter: BotAdapter) -> Registrar | None:
    """The started registrar for the runtime's `config`, `host` and bot `adapter`, or ``None``
    when there is nothing to register (or polling)."""
    if config.webhook_url is None:
        return None
    if host == "polling":
        log.warning("webhook_url is ignored while polling (a webhook would stop getUpdates)")
        return None
    from tgserve._webhook_setup import registrar as module
    from tgserve._webhook_setup.update_types import allowed_updates_for

    token = config.token or getattr(adapter, "token", None)
    if not token:
        log.warning("webhook_url is set but the bot's token is unknown; not registered")
        return None
    registrar = module.Registrar(
        config,
        bot_id=adapter.bot_id,
        token=str(token),
        allowed_updates=allowed_updates_for(config, adapter),
        check_every=module.CHECK_EVERY,
    )
    await registrar.start(wait=config.startup_timeout)
    return registrar

"""attach_state: the one hook the runtime calls, to give a bot adapter its state records."""

from __future__ import annotations

import logging
from typing import Any

from tgserve._config import Config
from tgserve.state._codec import Codec, JSONCodec, PickleCodec
from tgserve.state._records import StateRecords

log = logging.getLogger("tgserve.state")
_lambda_warned = False


def is_shared(config: Config) -> bool:
    """True when the store is seen by every process (any store but memory://)."""
    return not config.store.lower().startswith("memory")


def state_enabled(config: Config) -> bool:
    """``state=auto`` is on for every shared store; ``on`` and ``off`` say so."""
    return config.state == "on" or (config.state == "auto" and is_shared(config))


def attach_state(adapter: Any, store: Any, config: Config, host: str) -> None:
    """Hand ``adapter`` (through its ``use_state``) the records it keeps its state in."""
    global _lambda_warned
    shared = is_shared(config)
    if host == "aws_lambda" and not shared and not _lambda_warned:
        _lambda_warned = True
        log.warning(
            "store is memory://: dedup and bot state are per Lambda instance; set TGSERVE_STORE "
            "to a hosted PostgreSQL or Redis (docs/aws-lambda.md)"
        )
    use = getattr(adapter, "use_state", None)
    if use is None or config.state == "off":
        return
    from tgserve.state._backends import backend_for

    codec: Codec = JSONCodec()
    if config.state_codec == "pickle":
        log.warning(
            "state_codec=pickle: whoever can write to the store can run code in this bot "
            "(docs/state.md)"
        )
        codec = PickleCodec()
    records = StateRecords(backend_for(store, config.state_ttl), codec, adapter.bot_id)
    use(records, enabled=state_enabled(config), shared=shared)

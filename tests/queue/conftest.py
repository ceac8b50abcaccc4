"""Queue tests use the same real servers as the store tests; HTTP client debug logs are muted."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tests.conftest_servers import postgres_url, redis_url

__all__ = ["postgres_url", "quiet_http_client", "redis_url"]


@pytest.fixture(autouse=True)
def quiet_http_client() -> Iterator[None]:
    """Thousands of requests would otherwise log a dozen DEBUG lines each."""
    loggers = [logging.getLogger(name) for name in ("httpcore", "httpx")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    yield
    for lg, level in zip(loggers, levels, strict=True):
        lg.setLevel(level)

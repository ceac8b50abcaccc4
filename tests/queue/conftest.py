"""Queue tests use the same real servers as the store tests."""

from __future__ import annotations

from tests.conftest_servers import postgres_url, redis_url

__all__ = ["postgres_url", "redis_url"]

"""A real Redis server for the broadcast tests."""

from __future__ import annotations

from tests.conftest_servers import redis_url

__all__ = ["redis_url"]

"""Fixtures for tests/deploy: a real Redis for the container's start commands."""

from __future__ import annotations

from tests.conftest_servers import redis_url

__all__ = ["redis_url"]

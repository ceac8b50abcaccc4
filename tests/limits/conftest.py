"""Real Redis and PostgreSQL servers, and tgserve's default send limits (the rest of the
suite switches them off for its stubs)."""

from __future__ import annotations

import pytest

from tests.conftest_servers import postgres_url, redis_url

__all__ = ["default_limits", "postgres_url", "redis_url"]


@pytest.fixture(autouse=True)
def default_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TGSERVE_LIMITS", raising=False)

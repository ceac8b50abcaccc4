"""Stores opened for one test, each in a namespace of that test alone, all closed after it."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from tgserve._stores import Store, open_store

S = TypeVar("S", bound=Store)


@contextlib.asynccontextmanager
async def opened_stores(
    url: str, check: Callable[[Store], S]
) -> AsyncIterator[Callable[..., Awaitable[S]]]:
    """``make(ttl=3600, namespace=None)``: an open store at ``url`` (``check`` asserts its
    kind); ``namespace`` names one more namespace of the test's own."""
    opened: list[Store] = []
    default_ns = f"t{uuid.uuid4().hex[:12]}"

    async def make(*, ttl: float = 3600.0, namespace: str | None = None) -> S:
        name = default_ns if namespace is None else f"{default_ns}-{namespace}"
        store = check(open_store(url, namespace=name, ttl=ttl))
        await store.open()
        opened.append(store)
        return store

    try:
        yield make
    finally:
        for store in opened:
            await store.close()

"""Pluggable parts chosen by a URL's scheme from a ``scheme -> "module:attr"`` table.

The module is imported only when its scheme is used (uvicorn's style), so a bot that
keeps everything in memory never imports a database client.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

ALIASES = {"postgres": "postgresql"}


def scheme_of(url: str) -> str:
    """``redis`` for ``redis://...``, ``postgresql`` for ``postgresql+asyncpg://...``."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    return scheme.split("+", 1)[0]


def load(table: Mapping[str, str], url: str, what: str) -> Any:
    """The object ``table`` names for ``url``'s scheme; a ``ValueError`` naming the known
    schemes for any other (``what``: ``store``, ``lock``...)."""
    scheme = scheme_of(url)
    if scheme not in table:
        scheme = ALIASES.get(scheme, scheme)
    target = table.get(scheme)
    if target is None:
        known = ", ".join(f"{s}://" for s in sorted(table))
        raise ValueError(f"unknown {what} scheme {scheme!r}; known: {known}")
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)

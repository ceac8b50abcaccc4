"""Ctrl-C and SIGTERM as an event inside a running loop (the helper is :mod:`tgserve._signals`)."""

from __future__ import annotations

from tgserve._signals import stop_signals

__all__ = ["stop_signals"]

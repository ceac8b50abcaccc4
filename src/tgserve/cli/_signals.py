"""Ctrl-C and SIGTERM as an event inside a running loop (the helper is :mod:`tgserve.signals`)."""

from __future__ import annotations

from tgserve.signals import stop_signals

__all__ = ["stop_signals"]

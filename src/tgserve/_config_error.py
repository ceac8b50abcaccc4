"""ConfigError: the one error an invalid option raises, shared by config and its checks."""

from __future__ import annotations


class ConfigError(ValueError):
    """An option has a value tgserve refuses; the message names the option and the rule."""

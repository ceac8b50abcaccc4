"""The errors state raises: each names the record (and the field) it is about."""

from __future__ import annotations


class StateError(Exception):
    """Base class of the state errors."""


class StateEncodeError(StateError, TypeError):
    """A value cannot be saved as JSON; the message names its key and type."""


class StateDecodeError(StateError, ValueError):
    """A stored record cannot be read (hand-edited, or written by another version)."""


class StateUnavailableError(StateError):
    """The store could not be read or written, after retries; nothing was lost silently.

    ``redeliver`` tells the runtime to have the update delivered again whatever
    ``on_error`` says: a 503 in inline mode, a retry in queue mode.
    """

    redeliver = True

"""Hypothesis reports a failing example as a patch through libcst, whose import warns; under
warnings-as-errors that hides the failure itself, so import it once here, quietly."""

from __future__ import annotations

import contextlib
import warnings

with warnings.catch_warnings(), contextlib.suppress(ImportError):
    warnings.simplefilter("ignore", DeprecationWarning)
    import hypothesis.extra._patching  # noqa: F401

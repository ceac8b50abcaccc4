"""Where a test puts the function that a functions-framework source file then exports."""

from __future__ import annotations

from typing import Any

function: Any = None

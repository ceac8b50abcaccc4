"""The control API's request bodies: typed fields, each wrong one refused in one line."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request

_INTEGER = re.compile(r"-?[0-9]{1,30}")
_REQUIRED: Any = object()


class BadInput(ValueError):
    """A control request's body or one of its fields is wrong; the text is the answer."""


async def read_json(request: Request) -> dict[str, Any]:
    """The request's JSON object (``{}`` for an empty body)."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw, parse_constant=_not_json)
    except (ValueError, RecursionError):
        raise BadInput("the body is not JSON") from None
    if not isinstance(data, dict):
        raise BadInput("the body must be a JSON object")
    return data


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN and Infinity, which Python alone reads


class Fields:
    """Typed readers over a JSON object, a form or a query string.

    A field that is absent, ``null`` or ``""`` is not given: a reader answers its
    ``default``, or raises ``BadInput("<name> is required")`` when it has none.
    """

    def __init__(self, values: Mapping[str, Any], prefix: str = "") -> None:
        self.values = values
        self.prefix = prefix

    def raw(self, name: str) -> Any:
        value = self.values.get(name)
        return None if value is None or value == "" else value

    def given(self, name: str) -> bool:
        return self.raw(name) is not None

    def _missing(self, name: str, default: Any) -> Any:
        if default is _REQUIRED:
            raise BadInput(f"{self.prefix}{name} is required")
        return default

    def _wrong(self, name: str, kind: str) -> BadInput:
        return BadInput(f"{self.prefix}{name} must be {kind}")

    def integer(self, name: str, default: Any = _REQUIRED) -> int:
        value = self.raw(name)
        if value is None:
            return int(self._missing(name, default))
        found = _as_integer(value)
        if found is None:
            raise self._wrong(name, "an integer")
        return found

    def optional_integer(self, name: str) -> int | None:
        return self.integer(name) if self.given(name) else None

    def number(self, name: str, default: Any = _REQUIRED) -> float:
        value = self.raw(name)
        if value is None:
            return float(self._missing(name, default))
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise self._wrong(name, "a number")
        try:
            found = float(value)
        except ValueError:
            raise self._wrong(name, "a number") from None
        if not math.isfinite(found):
            raise self._wrong(name, "a number")
        return found

    def text(self, name: str, default: Any = _REQUIRED) -> str:
        value = self.raw(name)
        if value is None:
            found: str = self._missing(name, default)
            return found
        if not isinstance(value, str):
            raise self._wrong(name, "a string")
        return value

    def optional_text(self, name: str) -> str | None:
        return self.text(name) if self.given(name) else None

    def flag(self, name: str, default: bool) -> bool:
        value = self.values.get(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self._wrong(name, "true or false")
        return value

    def integers(self, name: str, default: Any = _REQUIRED) -> list[int]:
        value = self.values.get(name)
        if value is None:
            return list(self._missing(name, default))
        found = [_as_integer(item) for item in value] if isinstance(value, list) else [None]
        if None in found:
            raise self._wrong(name, "a list of integers")
        return [item for item in found if item is not None]

    def texts(self, name: str, default: Any = _REQUIRED) -> list[str]:
        value = self.values.get(name)
        if value is None:
            return list(self._missing(name, default))
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self._wrong(name, "a list of strings")
        return list(value)

    def mapping(self, name: str) -> Fields:
        """The object under `name` (empty when not given), its fields named ``name.field``."""
        value = self.values.get(name)
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise self._wrong(name, "an object")
        return Fields(value, f"{self.prefix}{name}.")


def _as_integer(value: Any) -> int | None:
    """An int, or a string of digits (forms and query strings); never a bool or a float."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value)
    return None

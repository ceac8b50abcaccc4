"""The state codec: JSON, with tagged forms for the values plain JSON cannot hold.

Plain JSON values (``None``, ``bool``, ``int``, ``float``, ``str``, lists and dicts
with ``str`` keys) are stored as themselves. Other values become a one-key-tagged
object ``{"$t": TAG, "v": ...}``:

========================  ==========================================================
``tuple``                 ``{"$t": "tuple", "v": [...]}``
``set``, ``frozenset``    ``{"$t": "set" | "frozenset", "v": [...]}``
dict with other keys      ``{"$t": "map", "v": [[key, value], ...]}`` (also a dict
                          holding a ``"$t"`` key)
``bytes``                 ``{"$t": "bytes", "v": BASE64}``
``datetime``, ``date``,   ``{"$t": "datetime" | "date" | "time", "v": ISO 8601}``
``time``
``timedelta``             ``{"$t": "timedelta", "v": SECONDS}``
``Decimal``, ``UUID``     ``{"$t": "decimal" | "uuid", "v": STR}``
``Enum`` members          ``{"$t": "enum", "c": "module:Class", "v": VALUE}``
dataclass instances       ``{"$t": "dataclass", "c": "module:Class", "v": {field: ...}}``
PTB ``TelegramObject``    ``{"$t": "telegram", "c": "module:Class", "v": to_dict()}``
========================  ==========================================================

A class named in a record is looked up only among modules already imported, and
only if it is an ``Enum``, a dataclass or a ``TelegramObject``: a record never makes
tgserve import a module or build an arbitrary object. Any other type fails at save
time with :class:`~tgserve.state._errors.StateEncodeError` naming the key and the type.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import datetime as dtm
import enum
import json
import sys
from json.decoder import scanstring  # type: ignore[attr-defined]  # in json, not its stubs
from json.encoder import encode_basestring
from typing import Any, Protocol

from tgserve.state._errors import StateDecodeError, StateEncodeError

_PLAIN = (str, int, float, bool, type(None))
TAG = "$t"
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=True)
_CONSTANTS: dict[bytes, Any] = {b"true": True, b"false": False, b"null": None}


class Codec(Protocol):
    """Turns one field's value into bytes and back; ``where`` names it in errors."""

    name: str

    def encode(self, value: Any, where: str) -> bytes: ...

    def decode(self, data: bytes, where: str) -> Any: ...


class JSONCodec:
    """The default codec (see the module's docstring for its forms)."""

    name = "json"

    def __init__(self, bot: Any = None) -> None:
        self.bot = bot  # PTB objects decoded are bound to it, so their shortcuts work
        # built once: json.dumps/loads with options build an encoder or decoder per call
        self._decoder = json.JSONDecoder(object_hook=self._unpack)

    def encode(self, value: Any, where: str) -> bytes:
        """The JSON bytes of ``value``; :class:`StateEncodeError` names what cannot be saved."""
        kind = type(value)  # the commonest values first, as the encoder writes them
        if kind is str:
            return encode_basestring(value).encode()
        if kind is int:
            return str(value).encode()
        if kind is bool:
            return b"true" if value else b"false"
        if value is None:
            return b"null"
        return _ENCODER.encode(_pack(value, where)).encode()

    def decode(self, data: bytes, where: str) -> Any:
        """The value ``data`` holds; :class:`StateDecodeError` when it is not a valid record."""
        first = data[:1]  # plain strings, small ints and constants without the decoder
        if first == b'"':
            with contextlib.suppress(ValueError):  # not a plain string: the decoder says why
                text = data.decode()
                value, end = scanstring(text, 1)
                if end == len(text):
                    return value
        elif len(data) < 19 and data.isdigit() and (first != b"0" or len(data) == 1):
            return int(data)
        elif data in _CONSTANTS:
            return _CONSTANTS[data]
        try:
            text = data.decode()
            if text[:1] == "\ufeff":  # json.loads refuses a BOM too, with a ValueError
                raise ValueError("a byte order mark opens the record")
            return self._decoder.decode(text)
        except StateDecodeError as exc:
            raise StateDecodeError(f"{where}: {exc}") from None
        except (ValueError, TypeError, KeyError, AttributeError, UnicodeDecodeError) as exc:
            raise StateDecodeError(f"{where}: not a valid state record ({exc})") from None

    def _unpack(self, obj: dict[str, Any]) -> Any:
        tag = obj.get(TAG)
        if tag is None:
            return obj
        v: Any = obj.get("v")
        if tag == "tuple":
            return tuple(v)
        if tag == "set":
            return set(v)
        if tag == "frozenset":
            return frozenset(v)
        if tag == "map":
            return {_hashable(k): x for k, x in v}
        if tag == "bytes":
            return base64.b64decode(v, validate=True)
        if tag == "datetime":
            return dtm.datetime.fromisoformat(v)
        if tag == "date":
            return dtm.date.fromisoformat(v)
        if tag == "time":
            return dtm.time.fromisoformat(v)
        if tag == "timedelta":
            return dtm.timedelta(seconds=v)
        if tag == "decimal":
            import decimal

            return decimal.Decimal(v)
        if tag == "uuid":
            import uuid

            return uuid.UUID(v)
        if tag == "enum":
            return _known_class(obj.get("c"), "enum")(v)
        if tag == "dataclass":
            cls = _known_class(obj.get("c"), "dataclass")
            return cls(**v)
        if tag == "telegram":
            cls = _known_class(obj.get("c"), "telegram")
            return cls.de_json(v, self.bot)
        raise StateDecodeError(f"unknown tag {tag!r}")


def _hashable(key: Any) -> Any:
    if isinstance(key, list):  # a tuple key nested inside a list cannot be a list
        return tuple(_hashable(k) for k in key)
    return key


def _known_class(path: Any, kind: str) -> Any:
    if not isinstance(path, str) or ":" not in path:
        raise StateDecodeError(f"a {kind} record names no class")
    module_name, _, qualname = path.partition(":")
    module = sys.modules.get(module_name)
    if module is None:
        raise StateDecodeError(f"{path}: module {module_name!r} is not imported")
    cls: Any = module
    for part in qualname.split("."):
        cls = getattr(cls, part, None)
    if not isinstance(cls, type) or not _is_kind(cls, kind):
        raise StateDecodeError(f"{path} is not a {kind} class")
    return cls


def _is_kind(cls: type, kind: str) -> bool:
    if kind == "enum":
        return issubclass(cls, enum.Enum)
    if kind == "dataclass":
        return dataclasses.is_dataclass(cls)
    telegram = sys.modules.get("telegram")
    return telegram is not None and issubclass(cls, telegram.TelegramObject)


def _path(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _pack(value: Any, where: str) -> Any:
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is list:
        return [_pack(x, where) for x in value]
    if kind is dict:
        if TAG not in value and all(type(k) is str for k in value):
            return {k: _pack(x, where) for k, x in value.items()}
        return {TAG: "map", "v": [[_pack(k, where), _pack(x, where)] for k, x in value.items()]}
    if kind is tuple:
        return {TAG: "tuple", "v": [_pack(x, where) for x in value]}
    if kind is set or kind is frozenset:
        return {TAG: kind.__name__, "v": [_pack(x, where) for x in value]}
    if isinstance(value, enum.Enum):
        return {TAG: "enum", "c": _path(kind), "v": _pack(value.value, where)}
    if kind is bytes:
        return {TAG: "bytes", "v": base64.b64encode(value).decode()}
    if kind is dtm.datetime:
        return {TAG: "datetime", "v": value.isoformat()}
    if kind is dtm.date:
        return {TAG: "date", "v": value.isoformat()}
    if kind is dtm.time:
        return {TAG: "time", "v": value.isoformat()}
    if kind is dtm.timedelta:
        return {TAG: "timedelta", "v": value.total_seconds()}
    # decimal and uuid, imported only where such values exist (not on a cold start's path)
    if kind is getattr(sys.modules.get("decimal"), "Decimal", None):
        return {TAG: "decimal", "v": str(value)}
    if kind is getattr(sys.modules.get("uuid"), "UUID", None):
        return {TAG: "uuid", "v": str(value)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _pack(getattr(value, f.name), where) for f in dataclasses.fields(value)}
        return {TAG: "dataclass", "c": _path(kind), "v": fields}
    telegram = sys.modules.get("telegram")
    if telegram is not None and isinstance(value, telegram.TelegramObject):
        return {TAG: "telegram", "c": _path(kind), "v": value.to_dict()}
    raise StateEncodeError(
        f"cannot save {where}: a {kind.__module__}.{kind.__qualname__} is not JSON; "
        "keep plain values, tuples, sets, datetimes, dataclasses or PTB objects "
        "(docs/state.md)"
    )


class PickleCodec:
    """UNSAFE on a shared store: whoever can write a record can run code in the bot.

    Only for a store that nobody else can write, by explicit choice
    (``state_codec="pickle"``).
    """

    name = "pickle"

    def encode(self, value: Any, where: str) -> bytes:
        import pickle

        try:
            return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            raise StateEncodeError(f"cannot save {where}: {exc}") from None

    def decode(self, data: bytes, where: str) -> Any:
        import pickle

        try:
            return pickle.loads(data)  # noqa: S301 - the documented, explicit opt-in
        except Exception as exc:
            raise StateDecodeError(f"{where}: not a valid pickled record ({exc})") from None

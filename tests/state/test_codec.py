"""The JSON codec: what round-trips, what fails loudly at save time, what a record cannot do."""

from __future__ import annotations

import dataclasses
import datetime as dtm
import decimal
import enum
import json
import uuid
from typing import Any

import pytest
from telegram import Chat, Message, User

from tgserve.state import StateDecodeError, StateEncodeError
from tgserve.state._codec import JSONCodec, PickleCodec


class Colour(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class Order:
    item: str
    qty: int
    when: dtm.datetime


VALUES: list[Any] = [
    None,
    True,
    3,
    2.5,
    "héllo",
    [1, "a", None],
    {"a": {"b": [1, 2]}},
    (1, 2, (3, "x")),
    {1, 2, 3},
    frozenset({"a"}),
    {1: "one", (2, 3): "pair"},
    {"$t": "not a tag", "v": 1},
    b"\x00\xffbytes",
    dtm.datetime(2026, 12, 1, 9, 30, tzinfo=dtm.UTC),
    dtm.date(2026, 12, 1),
    dtm.time(9, 30, 15),
    dtm.timedelta(hours=1, seconds=3),
    decimal.Decimal("12.50"),
    uuid.UUID(int=7),
    Colour.RED,
    Order("tea", 2, dtm.datetime(2026, 1, 2, 3, 4)),
    {"orders": [Order("a", 1, dtm.datetime(2020, 1, 1))], "tags": {"x"}},
]


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_values_round_trip(value: Any) -> None:
    codec = JSONCodec()
    data = codec.encode(value, "k")
    json.loads(data)  # always plain JSON
    back = codec.decode(data, "k")
    assert back == value and type(back) is type(value)


def test_ptb_objects_round_trip_bound_to_the_bot() -> None:
    user = User(1, "Ann", False)
    message = Message(
        5, dtm.datetime(2026, 1, 1, tzinfo=dtm.UTC), Chat(1, "private"), from_user=user
    )
    codec = JSONCodec(bot=None)
    assert codec.decode(codec.encode({"u": user, "m": message}, "k"), "k") == {
        "u": user,
        "m": message,
    }


def test_an_unsaveable_value_fails_naming_key_and_type() -> None:
    class Opaque:
        pass

    with pytest.raises(StateEncodeError, match=r"user_data\['x'\].*Opaque"):
        JSONCodec().encode({"x": [Opaque()]}, "user_data['x']")


@pytest.mark.parametrize(
    "record",
    [
        b"{not json",
        b'{"$t": "nope", "v": 1}',
        b'{"$t": "dataclass", "c": "os:system", "v": {}}',
        b'{"$t": "dataclass", "c": "never_imported_module_xyz:Thing", "v": {}}',
        b'{"$t": "enum", "c": "builtins:int", "v": 1}',
        b'{"$t": "bytes", "v": "***"}',
    ],
)
def test_a_bad_record_is_a_decode_error_that_runs_nothing(record: bytes) -> None:
    with pytest.raises(StateDecodeError, match="k:1"):
        JSONCodec().decode(record, "k:1")


def test_pickle_is_an_explicit_opt_in() -> None:
    codec = PickleCodec()
    assert codec.decode(codec.encode({"a": {1, 2}}, "k"), "k") == {"a": {1, 2}}
    with pytest.raises(StateDecodeError):
        codec.decode(b"not a pickle", "k")

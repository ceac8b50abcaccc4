"""The DynamoDB store against dynalite: the Store contract's dedup half, a missing table and a
wrong key schema refused in one line naming the schema, queue mode refused, and the store
behind the Lambda handler."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest

import tgserve
from tests.conftest import SECRET, TOKEN
from tests.deploy.dynalite import aws_credentials, dynalite_server
from tests.stores.opened import opened_stores
from tests.stores.test_dedup_contract import (  # the same contract as every backend
    test_claim_then_busy_then_done,
    test_concurrent_claims_have_one_winner,
    test_done_records_expire_after_ttl,
    test_lapsed_lease_is_claimable_and_renew_extends,
    test_namespaces_are_separate,
    test_release_makes_it_claimable,
)
from tgserve._config import ConfigError
from tgserve._hosts.lambda_samples import LocalContext, event
from tgserve._stores import Claim, Store, open_store
from tgserve._stores.dynamodb import DynamoDBStore

__all__ = [
    "test_claim_then_busy_then_done",
    "test_concurrent_claims_have_one_winner",
    "test_done_records_expire_after_ttl",
    "test_lapsed_lease_is_claimable_and_renew_extends",
    "test_namespaces_are_separate",
    "test_release_makes_it_claimable",
]

pytest.importorskip("aiobotocore")
pytestmark = pytest.mark.timeout(60)
TABLE = "tgserve-updates"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with aws_credentials(), dynalite_server() as url:
        asyncio.run(create_table(url, TABLE, [("pk", "HASH")]))
        yield url


async def create_table(endpoint: str, name: str, keys: list[tuple[str, str]]) -> None:
    from aiobotocore.session import get_session

    async with get_session().create_client("dynamodb", endpoint_url=endpoint) as client:
        await client.create_table(
            TableName=name,
            AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k, _ in keys],
            KeySchema=[{"AttributeName": k, "KeyType": t} for k, t in keys],
            BillingMode="PAY_PER_REQUEST",
        )


@pytest.fixture
def store_url(endpoint: str) -> str:
    return f"dynamodb://{TABLE}?region=eu-west-1&endpoint={endpoint}"


def dynamodb_store(store: Store) -> DynamoDBStore:
    assert isinstance(store, DynamoDBStore)
    return store


@pytest.fixture
async def make_store(store_url: str) -> AsyncIterator[Callable[..., Awaitable[Store]]]:
    async with opened_stores(store_url, dynamodb_store) as make:
        yield make


async def test_release_after_done_keeps_it_done(make_store: Any) -> None:
    store = await make_store()
    assert await store.claim(3, 30) is Claim.NEW
    await store.done(3)
    await store.release(3)  # a late release never undoes a done record
    await store.renew([3], 30)  # nor does a late renewal
    assert await store.claim(3, 30) is Claim.DONE


async def test_missing_table_is_one_line_naming_the_schema(endpoint: str) -> None:
    store = open_store(f"dynamodb://nope?region=eu-west-1&endpoint={endpoint}")
    with pytest.raises(ConfigError) as caught:
        await store.open()
    message = str(caught.value)
    assert "\n" not in message
    assert "DynamoDB table 'nope' not found in eu-west-1" in message
    assert "AttributeName=pk,AttributeType=S" in message and "KeyType=HASH" in message


async def test_wrong_key_schema_is_one_line_naming_the_schema(endpoint: str) -> None:
    await create_table(endpoint, "wrong-keys", [("id", "HASH"), ("sk", "RANGE")])
    store = open_store(f"dynamodb://wrong-keys?region=eu-west-1&endpoint={endpoint}")
    with pytest.raises(ConfigError) as caught:
        await store.open()
    message = str(caught.value)
    assert "\n" not in message
    assert "has key schema id (HASH), sk (RANGE)" in message
    assert "partition key 'pk' (String)" in message


@pytest.mark.parametrize(
    ("url", "problem"),
    [("dynamodb://", "needs a table name"), ("dynamodb://t?regoin=x", "not regoin")],
)
def test_bad_urls(url: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        open_store(url)


async def quiet(update: dict[str, Any], bot: tgserve.BotAPI) -> None:
    return None


def test_queue_mode_is_refused(store_url: str) -> None:
    with pytest.raises(ValueError, match="ack='queue' needs a store with a queue"):
        tgserve.asgi(quiet, token=TOKEN, ack="queue", store=store_url)


def test_lambda_handler_dedups_across_containers(store_url: str) -> None:
    seen: list[int] = []

    async def bot(update: dict[str, Any], api: tgserve.BotAPI) -> None:
        seen.append(update["update_id"])

    body = b'{"update_id": 77, "message": {"chat": {"id": 1}}}'
    headers = {"x-telegram-bot-api-secret-token": SECRET}
    options = {"token": TOKEN, "secret_token": SECRET, "store": store_url}
    first = tgserve.aws_lambda(bot, **options)
    try:
        assert (
            first(event("http", "POST", "/webhook", headers, body), LocalContext())["statusCode"]
            == 200
        )
    finally:
        first.close(1.0)
    second = tgserve.aws_lambda(bot, **options)  # another container, the same table
    try:
        again = second(event("http", "POST", "/webhook", headers, body), LocalContext())
        assert again["statusCode"] == 200
        ready = second(event("http", "GET", "/readyz"), LocalContext())
        assert ready["statusCode"] == 200
    finally:
        second.close(1.0)
    assert seen == [77]


class Change:
    """A state change as the state layer hands it over (key, fields to put, fields to drop)."""

    def __init__(
        self, key: str, put: dict[str, bytes] | None = None, drop: list[str] | None = None
    ):
        self.key, self.put, self.drop = key, put or {}, drop or []


async def test_state_records_written_and_dropped_field_by_field(make_store: Any) -> None:
    state = (await make_store()).state_backend(None)
    assert await state.read(["a", "b"]) == {}
    await state.write([Change("a", {"x": b"1", "y": b"\x00\xff"}), Change("b", {"z": b"3"})])
    assert await state.read(["a", "b", "c"]) == {
        "a": {"x": b"1", "y": b"\x00\xff"},
        "b": {"z": b"3"},
    }
    await state.write([Change("a", {"x": b"10"}, ["y"])])
    assert await state.read(["a"]) == {"a": {"x": b"10"}}
    await state.write([Change("a", {}, ["x"])])
    assert await state.read(["a"]) == {}  # an empty record is a missing one
    await state.delete(["b"])
    assert await state.read(["b"]) == {}
    other = (await make_store(namespace="other")).state_backend(None)
    await state.write([Change("k", {"x": b"mine"})])
    assert await other.read(["k"]) == {}


async def test_state_two_containers_keep_each_others_fields(make_store: Any) -> None:
    one = (await make_store(namespace="s")).state_backend(None)
    two = (await make_store(namespace="s")).state_backend(None)
    await asyncio.gather(
        *(one.write([Change("r", {f"one{i}": b"1"})]) for i in range(10)),
        *(two.write([Change("r", {f"two{i}": b"2"})]) for i in range(10)),
    )
    fields = (await one.read(["r"]))["r"]
    assert len(fields) == 20 and fields == (await two.read(["r"]))["r"]


async def test_state_idle_records_expire(make_store: Any) -> None:
    state = (await make_store()).state_backend(0.3)
    await state.write([Change("idle", {"x": b"1"}), Change("busy", {"x": b"1"})])
    await asyncio.sleep(0.2)
    await state.write([Change("busy", {"y": b"2"})])  # a write keeps the whole record alive
    await asyncio.sleep(0.2)
    assert await state.read(["idle", "busy"]) == {"busy": {"x": b"1", "y": b"2"}}

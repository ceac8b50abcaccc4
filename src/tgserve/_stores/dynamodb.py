"""The DynamoDB store: dedup with TTL and leases, shared by every Lambda container without a
VPC (aiobotocore; imported only here, the ``dynamodb`` extra).

``dynamodb://TABLE?region=eu-west-1`` (``endpoint=http://...`` for DynamoDB Local or
dynalite). Credentials come from the usual AWS chain (the function's role on Lambda).
One table, partition key ``pk`` (String), TTL on ``expires`` (epoch seconds); one item
per update id, ``s`` = ``c`` (claimed) or ``d`` (done), each valid ``until`` (epoch ms).
Every operation is one conditional write, so two containers never both own an update.

Lease and TTL times are the client's clock (Lambda's is NTP-synchronised); DynamoDB
deletes expired items lazily, so expiry is checked in every condition, not left to TTL.
There is no queue: ``ack='queue'`` needs Redis, PostgreSQL or SQLite. Shared bot state
lives in the same table (:mod:`tgserve._stores.dynamodb_state`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tgserve._config import ConfigError
from tgserve._stores.base import Claim

KEY = "pk"
TTL_ATTRIBUTE = "expires"


def schema_hint(table: str) -> str:
    """The one-line instruction naming the table to create."""
    return (
        f"create it with partition key {KEY!r} (String) only and TTL on {TTL_ATTRIBUTE!r}: "
        f"aws dynamodb create-table --table-name {table} "
        f"--attribute-definitions AttributeName={KEY},AttributeType=S "
        f"--key-schema AttributeName={KEY},KeyType=HASH --billing-mode PAY_PER_REQUEST"
    )


class DynamoDBStore:
    """An aiobotocore DynamoDB client whose HTTP session is made on the runtime's loop."""

    def __init__(
        self,
        table: str,
        *,
        region: str | None,
        endpoint: str | None,
        namespace: str,
        ttl: float,
    ) -> None:
        self.table = table
        self.region = region
        self.endpoint = endpoint
        self.namespace = namespace
        self.ttl = ttl
        self._stack: contextlib.AsyncExitStack | None = None
        self._client: Any = None

    async def open(self) -> None:
        if self._client is not None:
            return
        stack = contextlib.AsyncExitStack()
        try:
            self._client = await stack.enter_async_context(
                _session().create_client(
                    "dynamodb", region_name=self.region, endpoint_url=self.endpoint
                )
            )
            await self._check_table()
        except BaseException:
            self._client = None
            await stack.aclose()
            raise
        self._stack = stack

    async def _check_table(self) -> None:
        from botocore.exceptions import ClientError

        try:
            answer = await self._client.describe_table(TableName=self.table)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                where = f" in {self.region}" if self.region else ""
                raise ConfigError(
                    f"DynamoDB table {self.table!r} not found{where}; {schema_hint(self.table)}"
                ) from None
            raise
        keys = answer["Table"].get("KeySchema", [])
        types = {
            a["AttributeName"]: a["AttributeType"]
            for a in answer["Table"].get("AttributeDefinitions", [])
        }
        if keys != [{"AttributeName": KEY, "KeyType": "HASH"}] or types.get(KEY) != "S":
            found = ", ".join(f"{k['AttributeName']} ({k['KeyType']})" for k in keys) or "none"
            raise ConfigError(
                f"DynamoDB table {self.table!r} has key schema {found}; {schema_hint(self.table)}"
            )

    async def close(self) -> None:
        stack, self._stack, self._client = self._stack, None, None
        if stack is not None:
            await stack.aclose()

    def _key(self, update_id: int) -> dict[str, Any]:
        return {KEY: {"S": f"{self.namespace}#u#{update_id}"}}

    def state_backend(self, ttl: float | None) -> Any:
        """Shared bot state on this store's client (:mod:`tgserve._stores.dynamodb_state`)."""
        from tgserve._stores.dynamodb_state import DynamoDBState

        return DynamoDBState(self, ttl)

    def _open_client(self) -> Any:
        if self._client is None:
            raise RuntimeError("the DynamoDB store is not open")
        return self._client

    async def claim(self, update_id: int, lease: float) -> Claim:
        client = self._open_client()
        now = time.time()
        try:
            await client.put_item(
                TableName=self.table,
                Item={**self._key(update_id), "s": {"S": "c"}, **_until(now + lease)},
                # free, or its lease lapsed, or its done record outlived the TTL
                ConditionExpression="attribute_not_exists(pk) OR #u < :now",
                ExpressionAttributeNames={"#u": "until"},
                ExpressionAttributeValues={":now": {"N": str(_ms(now))}},
            )
        except Exception as exc:
            if not _condition_failed(exc):
                raise
            held = await client.get_item(
                TableName=self.table, Key=self._key(update_id), ConsistentRead=True
            )
            state = held.get("Item", {}).get("s", {}).get("S")
            return Claim.DONE if state == "d" else Claim.BUSY
        return Claim.NEW

    async def renew(self, update_ids: Sequence[int], lease: float) -> None:
        client = self._open_client()
        until = _until(time.time() + lease)

        async def one(update_id: int) -> None:
            try:
                await client.update_item(
                    TableName=self.table,
                    Key=self._key(update_id),
                    UpdateExpression="SET #u = :u, #e = :e",
                    ConditionExpression="#s = :c",
                    ExpressionAttributeNames={"#u": "until", "#e": TTL_ATTRIBUTE, "#s": "s"},
                    ExpressionAttributeValues={
                        ":u": until["until"],
                        ":e": until[TTL_ATTRIBUTE],
                        ":c": {"S": "c"},
                    },
                )
            except Exception as exc:
                if not _condition_failed(exc):  # no longer claimed: nothing to renew
                    raise

        await asyncio.gather(*(one(u) for u in update_ids))

    async def done(self, update_id: int) -> None:
        client = self._open_client()
        item = {**self._key(update_id), "s": {"S": "d"}, **_until(time.time() + self.ttl)}
        await client.put_item(TableName=self.table, Item=item)

    async def release(self, update_id: int) -> None:
        client = self._open_client()
        try:
            await client.delete_item(
                TableName=self.table,
                Key=self._key(update_id),
                ConditionExpression="#s = :c",
                ExpressionAttributeNames={"#s": "s"},
                ExpressionAttributeValues={":c": {"S": "c"}},
            )
        except Exception as exc:
            if not _condition_failed(exc):  # done meanwhile, or gone: leave it
                raise


def _condition_failed(exc: BaseException) -> bool:
    from botocore.exceptions import ClientError

    if not isinstance(exc, ClientError):
        return False
    return bool(exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")


def _until(at: float) -> dict[str, Any]:
    """``until`` (ms, what conditions compare) and ``expires`` (s, when TTL may delete)."""
    return {"until": {"N": str(_ms(at))}, TTL_ATTRIBUTE: {"N": str(int(at) + 1)}}


_shared: Any = None


def _session() -> Any:
    """One aiobotocore session per process: it loads DynamoDB's service model once (a
    client, bound to a loop, is made per store)."""
    global _shared
    if _shared is None:
        from aiobotocore.session import get_session

        _shared = get_session()
    return _shared


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


def from_url(url: str, *, namespace: str, ttl: float) -> DynamoDBStore:
    """``dynamodb://TABLE?region=REGION[&endpoint=http://host:port]``."""
    parts = urlsplit(url)
    table = parts.netloc or parts.path.strip("/")
    if not table:
        raise ConfigError("store dynamodb:// needs a table name: dynamodb://TABLE?region=REGION")
    query = parse_qs(parts.query)
    unknown = sorted(set(query) - {"region", "endpoint"})
    if unknown:
        raise ConfigError(f"store dynamodb:// takes region and endpoint, not {', '.join(unknown)}")
    region = query.get("region", [None])[-1]
    endpoint = query.get("endpoint", [None])[-1]
    return DynamoDBStore(table, region=region, endpoint=endpoint, namespace=namespace, ttl=ttl)

"""Shared bot state in DynamoDB: one item per record, on the DynamoDB store's own client.

The item's key is ``<namespace>#s#<record key>``; each field is one binary attribute
``f:<name>``, so writing or dropping a field is one ``UpdateItem`` that leaves the
record's other fields alone (two containers changing different fields both keep theirs).
Each change is atomic; changes of several records are written together, not as one
transaction. With a TTL, a write refreshes ``until`` (epoch ms, checked on read) and
``expires`` (DynamoDB's own TTL deletes the item later).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

FIELD = "f:"


class _Table(Protocol):
    """What the state reads of :class:`~tgserve._stores.dynamodb.DynamoDBStore`: its table,
    its namespace and its open client."""

    table: str
    namespace: str

    def _open_client(self) -> Any: ...


class _Change(Protocol):
    key: str
    put: Mapping[str, bytes]
    drop: Sequence[str]


class DynamoDBState:
    """The state backend protocol (read, write, delete, close) on a DynamoDB store's client."""

    def __init__(self, store: _Table, ttl: float | None = None) -> None:
        self.store = store
        self.ttl = ttl

    def _key(self, key: str) -> dict[str, Any]:
        return {"pk": {"S": f"{self.store.namespace}#s#{key}"}}

    async def read(self, keys: Sequence[str]) -> dict[str, dict[str, bytes]]:
        client = self.store._open_client()
        table = self.store.table

        async def one(key: str) -> dict[str, Any]:
            answer = await client.get_item(TableName=table, Key=self._key(key), ConsistentRead=True)
            item: dict[str, Any] = answer.get("Item", {})
            return item

        items = await asyncio.gather(*(one(k) for k in keys))
        now_ms = time.time() * 1000
        out: dict[str, dict[str, bytes]] = {}
        for key, item in zip(keys, items, strict=True):
            until = item.get("until", {}).get("N")
            if until is not None and int(until) < now_ms:
                continue  # idle past the TTL; DynamoDB deletes it in its own time
            fields = {
                name[len(FIELD) :]: bytes(value["B"])
                for name, value in item.items()
                if name.startswith(FIELD)
            }
            if fields:
                out[key] = fields
        return out

    async def write(self, changes: Sequence[_Change]) -> None:
        client = self.store._open_client()
        await asyncio.gather(*(self._apply(client, change) for change in changes))

    async def _apply(self, client: Any, change: _Change) -> None:
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        sets: list[str] = []
        for i, (name, value) in enumerate(change.put.items()):
            names[f"#p{i}"] = FIELD + name
            values[f":p{i}"] = {"B": bytes(value)}
            sets.append(f"#p{i} = :p{i}")
        removes = []
        for i, name in enumerate(n for n in change.drop if n not in change.put):
            names[f"#d{i}"] = FIELD + name
            removes.append(f"#d{i}")
        if change.put and self.ttl is not None:
            at = time.time() + self.ttl
            names.update({"#u": "until", "#e": "expires"})
            values.update({":u": {"N": str(int(at * 1000))}, ":e": {"N": str(int(at) + 1)}})
            sets += ["#u = :u", "#e = :e"]
        expression = " ".join(
            part
            for part in (
                "SET " + ", ".join(sets) if sets else "",
                "REMOVE " + ", ".join(removes) if removes else "",
            )
            if part
        )
        if not expression:
            return
        kwargs: dict[str, Any] = {"ExpressionAttributeValues": values} if values else {}
        await client.update_item(
            TableName=self.store.table,
            Key=self._key(change.key),
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            **kwargs,
        )

    async def delete(self, keys: Sequence[str]) -> None:
        client = self.store._open_client()
        table = self.store.table
        await asyncio.gather(*(client.delete_item(TableName=table, Key=self._key(k)) for k in keys))

    async def close(self) -> None:
        return None

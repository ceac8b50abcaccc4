"""One rule, store kind -> backend, for the three parts that live on a store: broadcast
jobs, send budgets and bot state each pick their backend by it, on every real store."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest

from tests.stores.conftest import BACKENDS, MakeStore
from tgserve._stores.kinds import Kind, kind_of
from tgserve._stores.sqlite import SQLiteStore
from tgserve.broadcast import JOB_STORES, JobError, open_jobs
from tgserve.limits._ledger import LEDGERS, MemoryLedger, open_ledger
from tgserve.state._backends import BACKENDS as STATE_BACKENDS
from tgserve.state._backends import backend_for

TABLES = {"broadcast": JOB_STORES, "limits": LEDGERS, "state": STATE_BACKENDS}


def _class_name(target: str) -> str:
    return target.partition(":")[2]


@pytest.mark.parametrize("store_url", BACKENDS, indirect=True)
async def test_each_part_takes_its_backend_for_the_stores_kind(
    make_store: MakeStore, store_url: str
) -> None:
    store = await make_store()
    kind = kind_of(store)
    scheme = store_url.partition("://")[0]
    assert kind == (None if scheme == "memory" else scheme)
    ledger, state = open_ledger(store, "kinds"), backend_for(store, 60.0)
    if kind is None:
        assert isinstance(ledger, MemoryLedger)
        assert type(state).__name__ == "MemoryState"
        with pytest.raises(JobError, match="outlive its process"):
            open_jobs(store, "kinds")
        return
    assert type(ledger).__name__ == _class_name(LEDGERS[kind])
    assert type(state).__name__ == _class_name(STATE_BACKENDS[kind])
    assert type(open_jobs(store, "kinds")).__name__ == _class_name(JOB_STORES[kind])


def test_every_part_has_a_backend_for_every_kind() -> None:
    kinds = set(typing.get_args(Kind))
    assert kinds == {"redis", "postgresql", "sqlite"}
    for part, table in TABLES.items():
        assert set(table) == kinds, part


def test_a_subclass_is_its_bases_kind_and_another_store_is_none(tmp_path: Path) -> None:
    class Mine(SQLiteStore):
        pass

    assert kind_of(Mine(f"{tmp_path}/s.db", namespace="n", ttl=1.0)) == "sqlite"
    assert kind_of(object()) is None

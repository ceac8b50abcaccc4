"""Lambda on memory://: one line at cold start says dedup and state are per instance."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

import tgserve
from tests.conftest import TOKEN
from tgserve.state import _attach as attach

NOTICE = "dedup and bot state are per Lambda instance"


async def handle(update: dict[str, Any], bot: tgserve.BotAPI) -> None:
    return None


@pytest.mark.parametrize(("store", "said"), [("memory://", True), ("sqlite:///s.db", False)])
def test_cold_start_notice(
    store: str,
    said: bool,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(attach, "_lambda_warned", False)
    caplog.set_level(logging.WARNING, "tgserve.state")
    store = store.replace("s.db", str(tmp_path / "s.db"))
    options = {"token": TOKEN, "store": store, "api_url": "http://127.0.0.1:9"}
    handlers = [tgserve.aws_lambda(handle, **options) for _ in range(2)]
    assert caplog.text.count(NOTICE) == (1 if said else 0)  # once per process
    for handler in handlers:
        handler.close(1.0)

"""Metrics are opt-in on Lambda: off by default, on with metrics=True or TGSERVE_METRICS=1."""

from __future__ import annotations

from typing import Any

import pytest
from tests.conftest import TOKEN

import tgserve
from tgserve._hosts.aws_lambda import LambdaHandler
from tgserve._hosts.lambda_samples import LocalContext, event

pytestmark = pytest.mark.timeout(30)


async def ignore(update: dict[str, Any], bot: tgserve.BotAPI) -> None:
    return None


def scrape(handler: LambdaHandler) -> dict[str, Any]:
    try:
        return handler(event("url", "GET", "/metrics"), LocalContext(10))
    finally:
        handler.close(1.0)


def test_metrics_are_off_by_default_on_lambda() -> None:
    handler = tgserve.aws_lambda(ignore, token=TOKEN)
    assert handler.runtime.tally.latency is None and not handler.runtime.config.metrics
    assert scrape(handler)["statusCode"] == 404


@pytest.mark.parametrize("how", ["option", "env"])
def test_metrics_can_be_turned_on(how: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if how == "env":
        monkeypatch.setenv("TGSERVE_METRICS", "1")
        handler = tgserve.aws_lambda(ignore, token=TOKEN)
    else:
        handler = tgserve.aws_lambda(ignore, token=TOKEN, metrics=True)
    answer = scrape(handler)
    assert answer["statusCode"] == 200 and "tgserve_updates_total" in answer["body"]

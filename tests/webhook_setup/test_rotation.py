"""Secret rotation: the current and the previous secret both pass; any other gets 401."""

from __future__ import annotations

from typing import Any

import pytest

from tgserve._config import Config
from tgserve._gate import SECRET_HEADER, Gate, Request, Response

NEW, OLD = "new-secret_2026", "old-secret_2025"


def status(gate: Gate, secret: str | None) -> int | None:
    headers = {"content-type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    verdict = gate.check_head(Request("POST", "/webhook", headers, b"{}"))
    return verdict.status if isinstance(verdict, Response) else None


@pytest.mark.parametrize(
    "options",
    [
        {"secret_token": f"{NEW},{OLD}"},
        {"secret_token": (NEW, OLD)},
        {"secret_token": NEW, "previous_secret_token": OLD},
    ],
)
def test_current_and_previous_pass(options: dict[str, Any]) -> None:
    gate = Gate(Config.load(options, env={}))
    assert status(gate, NEW) is None and status(gate, OLD) is None
    assert status(gate, "another-secret") == 401 and status(gate, None) == 401


def test_from_the_environment() -> None:
    env = {"TGSERVE_SECRET_TOKEN": NEW, "TGSERVE_PREVIOUS_SECRET_TOKEN": OLD}
    config = Config.load({}, env=env)
    assert (config.secret_token, config.previous_secret_token) == (NEW, OLD)
    assert "previous" not in str(config.public())


def test_after_the_rotation_the_old_secret_is_refused() -> None:
    gate = Gate(Config.load({"secret_token": NEW}, env={}))
    assert status(gate, OLD) == 401 and status(gate, NEW) is None

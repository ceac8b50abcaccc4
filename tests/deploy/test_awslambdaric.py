"""tgserve's Lambda handler under AWS's own runtime client (awslambdaric), in a real process,
against the test Runtime API server: warm invocations, an invocation error, the deadline,
an init error, and a SIGKILL between invocations."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SECRET, TOKEN
from tests.deploy.runtime_api import RuntimeAPI
from tgserve._hosts.lambda_samples import event

pytest.importorskip("awslambdaric")
pytestmark = pytest.mark.timeout(90)

ROOT = Path(__file__).resolve().parents[2]
HANDLER = "tests.deploy.apps.lambda_app.handler"
GOOD = {"x-telegram-bot-api-secret-token": SECRET, "content-type": "application/json"}


def update(update_id: int, text: str = "hi") -> bytes:
    message = {"message_id": 1, "date": 0, "chat": {"id": 7, "type": "private"}, "text": text}
    return json.dumps({"update_id": update_id, "message": message}).encode()


def webhook_event(update_id: int, text: str = "hi") -> dict[str, Any]:
    return event("http", "POST", "/webhook", GOOD, update(update_id, text))


class Function:
    """One awslambdaric process serving the test's Runtime API."""

    def __init__(self, api: RuntimeAPI, tmp: Path, **env: str) -> None:
        self.log = tmp / "handled.log"
        self.out = tmp / f"runtime-{len(list(tmp.glob('runtime-*')))}.out"
        src = str(ROOT / "src")
        self.env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([src, str(ROOT)]),
            "AWS_LAMBDA_RUNTIME_API": api.address,
            "AWS_LAMBDA_FUNCTION_NAME": "tgserve",
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TGSERVE_SECRET_TOKEN": SECRET,
            "TGSERVE_API_URL": "http://127.0.0.1:9",
            "TGSERVE_STORE": f"sqlite:///{tmp}/store.db",
            "TGSERVE_TEST_LOG": str(self.log),
            **env,
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Function:
        with self.out.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "awslambdaric", HANDLER],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return self

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def handled(self) -> list[tuple[int, int]]:
        if not self.log.exists():
            return []
        rows = [line.split() for line in self.log.read_text().splitlines()]
        return [(int(u), int(p)) for u, p in rows]

    def output(self) -> str:
        return self.out.read_text(errors="replace")


@pytest.fixture
def api() -> Iterator[RuntimeAPI]:
    with RuntimeAPI() as server:
        yield server


@pytest.fixture
def function(api: RuntimeAPI, tmp_path: Path) -> Iterator[Function]:
    fn = Function(api, tmp_path).start()
    yield fn
    fn.kill()


def status(outcome: Any) -> int:
    assert outcome.kind == "response", outcome
    return int(outcome.body["statusCode"])


def test_warm_invocations_share_one_process_and_loop(api: RuntimeAPI, function: Function) -> None:
    outcomes = [api.invoke(webhook_event(n)) for n in range(1, 6)]
    assert [status(o) for o in outcomes] == [200] * 5
    handled = function.handled()
    assert [u for u, _ in handled] == [1, 2, 3, 4, 5]
    assert {p for _, p in handled} == {function.proc.pid}  # type: ignore[union-attr]
    # a duplicate delivery is answered and not handled again; bad input is a 4xx
    assert status(api.invoke(webhook_event(3))) == 200
    assert status(api.invoke(event("http", "POST", "/webhook", {}, update(6)))) == 401
    assert status(api.invoke({"not": "http"})) == 400
    assert [u for u, _ in function.handled()] == [1, 2, 3, 4, 5]
    warm = sorted(o.seconds for o in outcomes[1:])
    assert warm[len(warm) // 2] < 0.5, warm  # a warm call does not start anything again
    text = function.output()
    assert TOKEN not in text and SECRET not in text


def test_invocation_error_then_warm_again(api: RuntimeAPI, function: Function) -> None:
    assert status(api.invoke(webhook_event(1))) == 200
    crashed = api.invoke({"crash": True})
    assert crashed.kind == "error"
    assert crashed.body["errorType"] == "ValueError"
    assert "a crash on purpose" in crashed.body["errorMessage"]
    # the bot raising is the handler's answer, not an invocation error; the loop lives on
    assert status(api.invoke(webhook_event(2, "fail"))) == 200
    assert status(api.invoke(webhook_event(3))) == 200
    assert [u for u, _ in function.handled()] == [1, 3]
    assert len({p for _, p in function.handled()}) == 1


def test_deadline_answers_503_before_lambda_kills(api: RuntimeAPI, function: Function) -> None:
    assert status(api.invoke(webhook_event(1))) == 200
    slow = api.invoke(webhook_event(2, "slow"), timeout=2.5)
    assert status(slow) == 503  # Telegram delivers it again
    assert slow.seconds < 2.5, slow.seconds  # within Lambda-Runtime-Deadline-Ms
    assert slow.seconds > 1.0, slow.seconds  # the budget was the deadline less the margin
    # released, not done: the redelivery is handled (here quickly, as "hi" would be)
    assert status(api.invoke(webhook_event(3))) == 200
    assert [u for u, _ in function.handled()] == [1, 3]


def test_sigkill_between_invocations(api: RuntimeAPI, tmp_path: Path) -> None:
    first = Function(api, tmp_path).start()
    try:
        assert status(api.invoke(webhook_event(1))) == 200
        assert status(api.invoke(webhook_event(2))) == 200
    finally:
        first.kill()
    second = Function(api, tmp_path).start()  # a new sandbox: cold, the same store
    try:
        assert status(api.invoke(webhook_event(2))) == 200  # Telegram's redelivery
        assert status(api.invoke(webhook_event(3))) == 200
        handled = second.handled()
        assert [u for u, _ in handled] == [1, 2, 3]  # 2 once, though delivered twice
        assert handled[2][1] == second.proc.pid != handled[0][1]  # type: ignore[union-attr]
    finally:
        second.kill()


def test_init_error_is_one_line_without_the_token(api: RuntimeAPI, tmp_path: Path) -> None:
    fn = Function(api, tmp_path, TGSERVE_ACK="background").start()
    try:
        assert api.init_error_seen.wait(30), fn.output()
        assert fn.proc is not None and fn.proc.wait(10) != 0
    finally:
        fn.kill()
    (error,) = api.init_errors
    assert error.body["errorType"] == "ConfigError"
    assert "ack='background' cannot work on AWS Lambda" in error.body["errorMessage"]
    assert TOKEN not in json.dumps(error.body) and TOKEN not in fn.output()

"""`tgserve run` (a real process) with PTB and aiogram bots written the usual way."""

from __future__ import annotations

import os
import time

import pytest

from tests.cli.process import BOTS, Running, tgserve
from tgserve.cli._run import _environment


def test_a_ptb_bot_built_from_the_token_replies_through_the_local_telegram() -> None:
    run = Running(str(BOTS / "ptb_usual.py"))
    try:
        run.say("/start")
        assert run.texts(2)[1] == "Hi You! I echo."
        run.say("quiet please")
        assert run.texts(4)[2:] == ["quiet please", "QUIET PLEASE"]
    finally:
        out = run.stop()
    assert "PTB Application's base_url and base_file_url" in out
    assert "Traceback" not in out and "api.telegram.org" not in out


def test_an_aiogram_bot_replies_and_its_returned_method_is_sent() -> None:
    run = Running(str(BOTS / "aiogram_usual.py"))
    try:
        run.say("/start")  # the handler returns message.answer(...) without awaiting it
        assert run.texts(2)[1] == "Hello, You!"
        run.say("hey")
        assert run.texts(4)[3] == "HEY"
    finally:
        out = run.stop()
    assert "aiogram Bot's session" in out
    assert "Traceback" not in out and "Unclosed" not in out


def test_a_failing_start_up_hook_is_named_and_the_session_closed() -> None:
    result = tgserve(
        "run", str(BOTS / "aiogram_broken_startup.py"), "--port", "0", "--emulator-port", "0"
    )
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1, result.stderr
    assert lines == [
        "tgserve run: the bot's start-up failed in on_startup (aiogram_broken_startup.py:14): "
        "RuntimeError: the database is down"
    ]
    assert "could not serve" not in result.stdout + result.stderr


def test_a_client_that_still_calls_api_telegram_org_gets_one_line() -> None:
    result = tgserve("run", str(BOTS / "ptb_own_client.py"), "--port", "0", "--emulator-port", "0")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "tgserve run: the bot called api.telegram.org, not the local Telegram: tgserve run "
        "points the client the bot builds from TELEGRAM_BOT_TOKEN (a PTB Application, an "
        "aiogram Bot, tgserve.BotAPI); point any other client at TGSERVE_API_URL"
    ]


def test_the_local_run_puts_the_environment_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """The token and API URL the local run sets for the bot are restored when it ends."""
    monkeypatch.setenv("TGSERVE_API_URL", "http://before.test")
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    with _environment(TELEGRAM_BOT_TOKEN="1:x", TGSERVE_API_URL="http://127.0.0.1:9"):
        assert os.environ["TGSERVE_API_URL"] == "http://127.0.0.1:9"
    assert os.environ["TGSERVE_API_URL"] == "http://before.test"
    assert "TELEGRAM_BOT_TOKEN" not in os.environ


def test_a_handler_that_calls_api_telegram_org_is_explained_in_one_line() -> None:
    run = Running(str(BOTS / "plain_own_client.py"))
    try:
        run.say("hello")
        run.texts(1)
        for _ in range(100):
            if run.http.get("/runtime").json()["runtime"]["counts"].get("failed"):
                break
            time.sleep(0.05)
    finally:
        out = run.stop()
    assert "Traceback" not in out and "ConnectError" not in out
    explained = [line for line in out.splitlines() if "the bot called api.telegram.org" in line]
    assert len(explained) == 1, out

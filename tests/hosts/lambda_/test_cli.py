"""``tgserve lambda event`` prints events the handler understands; ``tgserve lambda invoke``
runs the handler on one, warm after the first call."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from tests.conftest import SECRET, TOKEN

from tgserve._hosts.lambda_samples import SOURCES
from tgserve.cli import main

pytestmark = pytest.mark.timeout(30)

BOT = """
HANDLED = []

async def handle(update, bot):
    HANDLED.append(update["update_id"])
    print("handled", update["update_id"])
"""


@pytest.fixture
def bot_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    path = tmp_path / "cli_lambda_bot.py"
    path.write_text(BOT)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    return f"{path}:handle"


def event_of(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["lambda", "event", *args]) == 0
    out = capsys.readouterr().out
    json.loads(out)
    return out


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize(("kind", "handled"), [("post", 1), ("get", 0), ("health", 0)])
def test_sample_events_are_answered_200(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    bot_file: str,
    source: str,
    kind: str,
    handled: int,
) -> None:
    saved = tmp_path / "event.json"
    saved.write_text(event_of(capsys, kind, "--source", source, "--stage", "live"))
    assert main(["lambda", "invoke", bot_file, "--event", str(saved), "--repeat", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    results = [json.loads(line) for line in out if line.startswith("{")]
    assert [r["statusCode"] for r in results] == [200, 200]
    assert len([line for line in out if line.startswith("handled")]) == handled


def test_invoke_from_stdin_and_sign(
    capsys: pytest.CaptureFixture[str], bot_file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TGSERVE_SECRET_TOKEN", SECRET)
    text = event_of(capsys, "post", "--source", "alb-multi", "--text", "hello")
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    assert main(["lambda", "invoke", bot_file, "--event", "-"]) == 1
    assert json.loads(capsys.readouterr().out)["statusCode"] == 401
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    assert main(["lambda", "invoke", bot_file, "--event", "-", "--sign"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out.splitlines()[-1])["statusCode"] == 200
    assert SECRET not in captured.out + captured.err


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "cannot read the event"), ("{", "not JSON"), ("[1]", "not a JSON object")],
)
def test_invoke_refuses_a_bad_event_in_one_line(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    bot_file: str,
    content: str | None,
    message: str,
) -> None:
    path = tmp_path / "bad.json"
    if content is not None:
        path.write_text(content)
    assert main(["lambda", "invoke", bot_file, "--event", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_invoke_refuses_zero_repeats(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, bot_file: str
) -> None:
    path = tmp_path / "event.json"
    path.write_text(event_of(capsys, "health"))
    code = main(["lambda", "invoke", bot_file, "--event", str(path), "--repeat", "0"])
    assert code == 2 and "--repeat" in capsys.readouterr().err

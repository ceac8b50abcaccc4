"""Bad input to ``tgserve broadcast`` gets one clear line and exit 2, and loses nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import TOKEN
from tgserve.broadcast import ChatsError, read_chats
from tgserve.cli import main


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("TGSERVE_STORE", "TGSERVE_LIMITS", "TGSERVE_API_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TGSERVE_API_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("TGSERVE_STORE", f"sqlite:///{tmp_path / 'jobs.db'}")


def one_line_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err, err
    assert TOKEN.split(":")[1] not in err
    return err


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("1\n2\nthree\n", ":3: 'three' is not a numeric chat id"),
        ("1\n# a comment\n2\n1\n", ":4: chat 1 is listed twice (first on line 1)"),
        ("\n# nothing\n", "no chat ids in the file"),
    ],
)
def test_a_bad_chats_file_names_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, expected: str
) -> None:
    chats = tmp_path / "chats.txt"
    chats.write_text(content)
    err = one_line_error(capsys, ["broadcast", "send", "--chats", str(chats), "--text", "hi"])
    assert expected in err


def test_a_missing_chats_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = one_line_error(
        capsys, ["broadcast", "send", "--chats", str(tmp_path / "nope"), "--text", "hi"]
    )
    assert "cannot read the chats file" in err


@pytest.mark.parametrize("action", [["send", "--job"], ["status"]])
def test_an_unknown_job(capsys: pytest.CaptureFixture[str], action: list[str]) -> None:
    err = one_line_error(capsys, ["broadcast", *action, "feedc0ffee00"])
    assert "unknown broadcast job 'feedc0ffee00'" in err


def test_a_store_that_is_not_shared(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    chats = tmp_path / "chats.txt"
    chats.write_text("1\n")
    argv = ["broadcast", "send", "--chats", str(chats), "--text", "hi", "--store", "memory://"]
    err = one_line_error(capsys, argv)
    assert "outlive its process and be shared" in err and "sqlite:///" in err


@pytest.mark.parametrize(
    ("limits", "expected"),
    [
        ("bot=0", "limits: bot must be a number above 0, got 0.0"),
        ("chat=-1", "limits: chat must be a number above 0, got -1.0"),
        ("bot=fast", "limits: bot must be a number, got 'fast'"),
        ("speed=3", "limits: unknown name(s) speed"),
    ],
)
def test_bad_limits(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    limits: str,
    expected: str,
) -> None:
    monkeypatch.setenv("TGSERVE_LIMITS", limits)
    chats = tmp_path / "chats.txt"
    chats.write_text("1\n")
    err = one_line_error(capsys, ["broadcast", "send", "--chats", str(chats), "--text", "hi"])
    assert expected in err


def test_read_chats_keeps_file_order(tmp_path: Path) -> None:
    path = tmp_path / "chats.txt"
    path.write_text("  30 \n-100123\n\n10  # a note\n")
    assert read_chats(path) == [30, -100123, 10]
    path.write_text("1\n1.5\n")
    with pytest.raises(ChatsError, match=r":2: '1.5'"):
        read_chats(path)

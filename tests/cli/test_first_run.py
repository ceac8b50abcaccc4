"""The first run: every command refuses a bad setting in one line with exit code 2, names a
missing extra and a taken port, finds module:attr in the current directory, and
`tgserve lambda invoke` takes the handler object AWS calls."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.cli.process import ROOT, environment, tgserve

TOKEN = "123:" + "A" * 35
EVENT = ROOT / "tests" / "cli" / "bots" / "event.json"
EVENT_ARGS = ("--event", str(EVENT))
BAD_SETTINGS = {
    "TGSERVE_ACK": ("bogus", "ack must be one of inline, background, queue, got 'bogus'"),
    "TGSERVE_STORE": ("mysql://x", "unknown store scheme 'mysql'"),
    "TGSERVE_MAX_CONCURRENCY": ("lots", "max_concurrency must be a number, got 'lots'"),
    "TGSERVE_ALLOWED_IPS": ("10.0.0.300/8", "'10.0.0.300/8' is not an IP address or CIDR"),
    "TGSERVE_METRICS": ("maybe", "metrics must be one of 1, true, yes, on, 0, false, no, off"),
    "TGSERVE_LEASE": ("0", "lease must be more than 0.0, got 0.0"),  # every claim expired at once
}
UNREACHABLE = "redis://127.0.0.1:1"  # nothing listens on port 1
COMMANDS = {
    "run": ("run", "examples/echo.py", "--port", "0", "--emulator-port", "0"),
    "serve": ("serve", "examples/echo.py", "--port", "0"),
    "poll": ("poll", "examples/echo.py", "--lock", "none"),
    "lambda": ("lambda", "invoke", "examples/echo.py", "--event", str(EVENT)),
    "worker": ("worker", "examples/echo.py", "--store", "sqlite:///{tmp}/queue.db"),
}
# a worker always runs ack=queue (the contract), so TGSERVE_ACK is no setting of its own
CASES = [
    (c, s)
    for c in COMMANDS
    for s in [*BAD_SETTINGS, "unreachable redis"]
    if (c, s) != ("worker", "TGSERVE_ACK")
]


def _case(command: str, setting: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    args = [a.replace("{tmp}", str(tmp)) for a in COMMANDS[command]]
    token = None if command == "run" else TOKEN  # run without a token: the local Telegram
    env = environment(TELEGRAM_BOT_TOKEN=token, TGSERVE_API_URL="http://127.0.0.1:9")
    if command == "worker" and setting in ("TGSERVE_STORE", "unreachable redis"):
        del args[args.index("--store") :]  # else --store wins over TGSERVE_STORE
    if setting == "unreachable redis":
        env["TGSERVE_STORE"] = UNREACHABLE
    else:
        env[setting] = BAD_SETTINGS[setting][0]
    return tgserve(*args, env=env)


@pytest.fixture(scope="module")
def outcomes(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[tuple[str, str], subprocess.CompletedProcess[str]]]:
    """Every command under every bad setting, three processes at a time."""
    tmp = tmp_path_factory.mktemp("queue")
    with ThreadPoolExecutor(3) as pool:
        results = pool.map(lambda case: _case(*case, tmp), CASES)
        yield dict(zip(CASES, results, strict=True))


@pytest.mark.parametrize(("command", "setting"), CASES)
def test_a_bad_setting_is_one_line_and_exit_2(
    outcomes: dict[tuple[str, str], subprocess.CompletedProcess[str]], command: str, setting: str
) -> None:
    result = outcomes[command, setting]
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and lines[0].startswith("tgserve: "), result.stderr
    if setting == "unreachable redis":
        expected = f"store: cannot reach {UNREACHABLE}: "
    else:
        expected = BAD_SETTINGS[setting][1]
    assert expected in lines[0]
    assert "Traceback" not in result.stdout


def test_a_missing_extra_is_named() -> None:
    code = (
        "import sys; sys.modules['starlette'] = None; from tgserve.cli import main; "
        "raise SystemExit(main(['run', 'examples/echo.py', '--port', '0', "
        "'--emulator-port', '0']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=environment(),
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "tgserve run needs starlette: pip install 'tgserve[emulator]'"


BOT = """
import tgserve

async def handle(update, bot):
    return None

with open("imports.log", "a") as log:
    log.write("imported\\n")
handler = tgserve.aws_lambda(handle)
"""


def test_module_attr_is_found_in_the_current_directory(tmp_path: Path) -> None:
    """As the console script runs it: the current directory is not on sys.path by itself."""
    (tmp_path / "mybot.py").write_text(BOT)
    result = subprocess.run(
        [sys.executable, "-P", "-m", "tgserve", "lambda", "invoke", "mybot:handle", *EVENT_ARGS],
        capture_output=True,
        text=True,
        env=environment(TELEGRAM_BOT_TOKEN=TOKEN),
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[0])["statusCode"] == 200


def test_lambda_invoke_takes_the_handler_aws_calls(tmp_path: Path) -> None:
    (tmp_path / "mybot.py").write_text(BOT)
    env = environment(TELEGRAM_BOT_TOKEN=TOKEN)
    result = tgserve(
        "lambda",
        "invoke",
        "mybot.py:handler",
        "--event",
        str(EVENT),
        "--repeat",
        "2",
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    statuses = [json.loads(line)["statusCode"] for line in result.stdout.splitlines()]
    assert statuses == [200, 200]
    assert (tmp_path / "imports.log").read_text() == "imported\n"  # loaded once


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        yield int(held.getsockname()[1])


@pytest.mark.parametrize("flag", ["--port", "--emulator-port"])
def test_a_taken_port_names_its_option(taken_port: int, flag: str) -> None:
    ports = {"--port": "0", "--emulator-port": "0", flag: str(taken_port)}
    args = [a for pair in ports.items() for a in pair]
    result = tgserve("run", "examples/echo.py", *args)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"tgserve: port {taken_port} on 127.0.0.1 is in use; pass {flag} PORT"
    )


@pytest.mark.parametrize("command", ["serve", "emulator"])
def test_serve_and_emulator_name_the_port_too(taken_port: int, command: str) -> None:
    args = [command, "examples/echo.py"] if command == "serve" else [command]
    env = environment(TELEGRAM_BOT_TOKEN=TOKEN)
    result = tgserve(*args, "--port", str(taken_port), env=env)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"tgserve: port {taken_port} on 127.0.0.1 is in use; pass --port PORT"
    )


TARGETS = {
    "syntax.py:handle": "syntax.py does not compile: {tmp}/syntax.py:1: invalid syntax",
    "raises.py:handle": "importing raises.py failed at {tmp}/raises.py:2: RuntimeError: boom",
    ":handle": "':handle' names no module: pass module:ATTR or path/to/bot.py:ATTR",
    "sub/": "sub/ is a directory: name the bot's .py file in it",
    "notes.md:handle": "notes.md is not a Python file: name the bot's .py file",
}


@pytest.mark.parametrize("command", ["run", "serve"])
def test_a_bot_that_cannot_be_loaded_is_one_line(tmp_path: Path, command: str) -> None:
    (tmp_path / "syntax.py").write_text("def broken(:\n")
    (tmp_path / "raises.py").write_text('import os\nraise RuntimeError("boom")\n')
    (tmp_path / "sub").mkdir()
    (tmp_path / "notes.md").write_text("# notes\n")
    env = environment(TELEGRAM_BOT_TOKEN=None if command == "run" else TOKEN)
    for target, message in TARGETS.items():
        result = tgserve(command, target, "--port", "0", env=env, cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert result.stderr.strip() == "tgserve: " + message.replace("{tmp}", str(tmp_path))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("run", "examples/echo.py", "--port", "99999"), "--port must be a port number from 0"),
        (("serve", "examples/echo.py", "--port", "-1"), "--port must be a port number from 0"),
        (("emulator", "--port", "70000"), "--port must be a port number from 0"),
        (("emulator", "--time-scale", "0"), "--time-scale must be more than 0, got 0.0"),
    ],
)
def test_an_impossible_number_is_one_line(args: tuple[str, ...], message: str) -> None:
    token = None if args[0] == "run" else TOKEN  # run without a token: the local Telegram
    result = tgserve(*args, env=environment(TELEGRAM_BOT_TOKEN=token))
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().startswith("tgserve: " + message), result.stderr


def test_run_on_telegram_names_an_http_url() -> None:
    env = environment(TELEGRAM_BOT_TOKEN=TOKEN)
    result = tgserve("run", "examples/echo.py", "--url", "http://bot.example.test", env=env)
    assert result.returncode == 2
    assert "--url http://bot.example.test is not https://" in result.stderr

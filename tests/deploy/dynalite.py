"""A real DynamoDB-compatible server on loopback: dynalite (npm), in memory, started here."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator

from tests.conftest_servers import free_port, missing, stop, wait_port

# dynalite checks a signature's shape, not its key: any credentials sign for it
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "dynalite",
    "AWS_SECRET_ACCESS_KEY": "dynalite",
    "AWS_DEFAULT_REGION": "eu-west-1",
}


@contextlib.contextmanager
def dynalite_server() -> Iterator[str]:
    """``http://127.0.0.1:PORT`` of a fresh in-memory dynalite."""
    exe = shutil.which("dynalite")
    if exe is None:
        missing("dynalite (npm install -g dynalite)")
    port = free_port()
    args = [exe, "--port", str(port), "--host", "127.0.0.1"]
    args += ["--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


@contextlib.contextmanager
def aws_credentials() -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in CREDENTIALS}
    os.environ.update(CREDENTIALS)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

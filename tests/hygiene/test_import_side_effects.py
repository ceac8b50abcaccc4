"""``import tgserve`` installs one log-record factory, the masking one, and nothing else;
runtimes and hosts add none (the Lambda host's stamping is installed on its first call)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import TOKEN

pytestmark = pytest.mark.timeout(60)

PROBE = f"""
import logging
before = logging.getLogRecordFactory()
import tgserve
from tgserve import _redact as redact
masking = logging.getLogRecordFactory()
assert redact.installed() and masking is not before
# PTB logs its token while an Application is built, before any tgserve call
record = logging.getLogger("telegram").makeRecord("t", 10, "f", 1, "url /bot%s", ({TOKEN!r},), None)
assert {TOKEN!r} not in record.getMessage()

async def handle(update, bot):
    return None

tgserve.asgi(handle, token={TOKEN!r})
tgserve.wsgi(handle, token={TOKEN!r})
tgserve.aws_lambda(handle, token={TOKEN!r})
assert logging.getLogRecordFactory() is masking, "a host installed another record factory"
print("ok")
"""


def test_import_installs_the_masking_factory_and_hosts_add_none() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=30, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"

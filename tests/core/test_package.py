from __future__ import annotations

import subprocess
import sys

import tgserve


def test_all_is_complete_and_sorted() -> None:
    assert tgserve.__all__ == sorted(tgserve.__all__)
    for name in tgserve.__all__:
        assert getattr(tgserve, name) is not None
    public = {n for n in tgserve._EXPORTS}
    assert public == set(tgserve.__all__)


def test_import_is_light() -> None:
    code = (
        "import sys, tgserve\n"
        "heavy = {'telegram', 'aiogram', 'uvicorn', 'starlette', 'httpx', 'redis', 'asyncpg'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

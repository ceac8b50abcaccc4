"""Load an example module fresh, with the emulator's token and URL in the environment."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from types import ModuleType

import pytest

from tgserve.emulator import Emulator

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
Loader = Callable[[str], ModuleType]


@pytest.fixture
async def tg() -> AsyncIterator[Emulator]:
    async with Emulator(time_scale=0.01) as emulator:
        yield emulator


@pytest.fixture
def load_example(tg: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Loader:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", tg.token)
    monkeypatch.setenv("TGSERVE_API_URL", tg.api_url)
    monkeypatch.setenv("EXPENSES_DB", str(tmp_path / "expenses.sqlite3"))

    def load(name: str) -> ModuleType:
        spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        monkeypatch.setitem(sys.modules, spec.name, module)
        spec.loader.exec_module(module)
        return module

    return load

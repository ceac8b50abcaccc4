"""Load PTB's and aiogram's own examples unmodified and serve them on the emulator.

The examples come from the sdists of the installed versions (scripts/test.sh puts them
in .peers/). The loader replaces only what the rules allow: ``run_polling()`` /
``start_polling()`` (captured instead of run, so tgserve serves the bot by webhook) and
the token placeholder (PTB's ``"TOKEN"``, aiogram's ``BOT_TOKEN`` variable). Pointing the
bot's own client at the emulator (PTB's base URLs, aiogram's session server) is the
wiring a local Telegram needs, done on the captured objects.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import inspect
import os
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tgserve.emulator import Emulator

ROOT = Path(__file__).resolve().parents[2] / ".peers"
PLACEHOLDER = "TOKEN"


def examples(dist: str) -> Path:
    """The unpacked examples/ of the installed `dist`; skip (fail on CI) when missing."""
    version = importlib.metadata.version(dist)
    where = ROOT / f"{dist}-{version}" / "examples"
    if not where.is_dir():
        message = f"{where} is missing: scripts/test.sh downloads {dist} {version}'s examples"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    return where


def _import(path: Path) -> ModuleType:
    """Import an example file under a fresh name (its ``__main__`` block does not run)."""
    name = f"peer_{path.stem}_{uuid.uuid4().hex[:8]}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.parent))
    return module


class Captured:
    """What an example's main() built: the application/dispatcher and its polling options."""

    def __init__(self) -> None:
        self.target: Any = None
        self.bot: Any = None
        self.allowed_updates: list[str] | None = None


@contextlib.contextmanager
def _patched(obj: Any, name: str, value: Any) -> Iterator[None]:
    original = getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, original)


async def load_ptb(path: Path, tg: Emulator) -> Captured:
    """Run the example's main() with run_polling captured and "TOKEN" replaced."""
    from telegram.ext import Application, ApplicationBuilder

    captured = Captured()
    token = ApplicationBuilder.token
    build = ApplicationBuilder.build

    def with_token(self: Any, value: str) -> Any:
        return token(self, tg.token if value == PLACEHOLDER else value)

    def pointed(self: Any) -> Any:
        self.base_url(f"{tg.api_url}/bot").base_file_url(f"{tg.api_url}/file/bot")
        return build(self)

    def run_polling(self: Any, *args: Any, allowed_updates: Any = None, **kwargs: Any) -> None:
        captured.target = self
        captured.allowed_updates = [str(u) for u in allowed_updates] if allowed_updates else None

    module = _import(path)
    with (
        _patched(ApplicationBuilder, "token", with_token),
        _patched(ApplicationBuilder, "build", pointed),
        _patched(Application, "run_polling", run_polling),
    ):
        result = module.main()
        if inspect.isawaitable(result):
            await result
    assert captured.target is not None, f"{path.name}: main() did not call run_polling()"
    return captured


async def load_aiogram(path: Path, tg: Emulator, monkeypatch: pytest.MonkeyPatch) -> Captured:
    """Run the example's main() with start_polling/run_polling captured and BOT_TOKEN set.

    Modules that only define a ``router`` (aiogram's filter examples) are put on a
    Dispatcher and Bot here, as the example's docs say to.
    """
    from aiogram import Bot, Dispatcher
    from aiogram.client.default import DefaultBotProperties
    from aiogram.client.session.base import BaseSession
    from aiogram.client.telegram import TelegramAPIServer

    monkeypatch.setenv("BOT_TOKEN", tg.token)
    server = TelegramAPIServer.from_base(tg.api_url)
    init = BaseSession.__init__

    def pointed(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self.api = server

    captured = Captured()

    def capture(dp: Any, *bots: Any, allowed_updates: Any = None, **kwargs: Any) -> None:
        captured.target, captured.bot = dp, bots[0]
        used = allowed_updates or dp.resolve_used_update_types()
        captured.allowed_updates = [str(u) for u in used] or None

    async def start_polling(self: Any, *bots: Any, **kwargs: Any) -> None:
        capture(self, *bots, **kwargs)

    def run_polling(self: Any, *bots: Any, **kwargs: Any) -> None:
        capture(self, *bots, **kwargs)

    with (
        _patched(BaseSession, "__init__", pointed),
        _patched(Dispatcher, "start_polling", start_polling),
        _patched(Dispatcher, "run_polling", run_polling),
    ):
        module = _import(path)
        main = getattr(module, "main", None)
        if main is None:
            dp = Dispatcher()
            dp.include_router(module.router)
            html = DefaultBotProperties(parse_mode="HTML")  # as aiogram's other examples
            capture(dp, Bot(tg.token, default=html))
        else:
            result = main()
            if inspect.isawaitable(result):
                await result
    assert captured.target is not None, f"{path.name}: main() did not start polling"
    return captured


def adapter_has(module: str, marker: str) -> bool:
    """Whether tgserve's adapter `module` already holds a fix (another branch's)."""
    return marker in Path(importlib.util.find_spec(module).origin or "").read_text()  # type: ignore[union-attr]


@contextlib.asynccontextmanager
async def served(tg: Emulator, captured: Captured) -> AsyncIterator[None]:
    """Serve the captured bot with tgserve on the emulator, with its allowed_updates."""
    tg.bot().allowed_updates = captured.allowed_updates
    try:
        async with tg.serve(captured.target, bot=captured.bot):
            yield
    finally:
        if captured.bot is not None:
            await captured.bot.session.close()

"""PTB's own examples, unmodified, from the sdist scripts/test.sh unpacks into .peers/.

``main()`` of an example builds its Application and calls ``run_polling``; here the
builder's ``token`` is pointed at the emulator (its token, its URL, no updater) and
``run_polling`` hands the built Application back instead of running it.
"""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path
from typing import Any

import pytest
import telegram
from telegram.ext import Application, ApplicationBuilder
from telegram.warnings import PTBUserWarning

PEERS = Path(__file__).resolve().parents[2] / ".peers"


def example_path(name: str) -> Path:
    path = PEERS / f"python-telegram-bot-{telegram.__version__}" / "examples" / f"{name}.py"
    if not path.is_file():
        pytest.skip(f"{path} is missing: scripts/test.sh unpacks PTB's examples there")
    return path


def ptb_example(name: str, token: str, api_url: str) -> Application[Any, Any, Any, Any, Any, Any]:
    """A fresh Application built by the unmodified example ``name``'s ``main()``."""
    path = example_path(name)
    spec = importlib.util.spec_from_file_location(f"ptb_example_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    built: list[Application[Any, Any, Any, Any, Any, Any]] = []
    real_token = ApplicationBuilder.token

    def to_emulator(self: Any, _token: str) -> Any:
        return real_token(self, token).base_url(f"{api_url}/bot").updater(None)

    def hand_back(self: Any, *args: Any, **kwargs: Any) -> None:
        built.append(self)

    with pytest.MonkeyPatch.context() as patch, warnings.catch_warnings():
        # nestedconversationbot's per_message=False with CallbackQueryHandlers is by design
        warnings.simplefilter("ignore", PTBUserWarning)
        patch.setattr(ApplicationBuilder, "token", to_emulator)
        patch.setattr(Application, "run_polling", hand_back)
        module.main()
    (app,) = built
    return app

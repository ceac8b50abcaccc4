"""Pictures of the browser chat at a phone's, a laptop's and a desktop's width.

    python -m tests.emulator.screenshots [DIRECTORY]

writes chat-phone.png, chat-laptop.png and chat-desktop.png (default: docs/screenshots/).
The test run never writes them; run this after a change to the chat's look.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from tests.emulator.chat_scene import (
    CHROMIUM,
    HAS_CHROMIUM,
    WIDTHS,
    chromium_page,
    clipped,
    converse,
    handle,
)
from tgserve.emulator import Emulator

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


async def take(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (width, height) in WIDTHS.items():
        async with (
            Emulator(time_scale=0.01) as tg,
            tg.serve(handle),
            chromium_page(width, height) as page,
        ):
            await converse(tg, page)
            await page.wait_for_timeout(2800)  # the toast fades before the picture
            problems = await clipped(page)
            if problems:
                print(f"{name} ({width} px): {'; '.join(problems)}", file=sys.stderr)
            path = directory / f"chat-{name}.png"
            await page.screenshot(path=str(path))
            written.append(path)
    return written


def main() -> int:
    if not HAS_CHROMIUM:
        print(f"no Chromium at {CHROMIUM} (apt-get install chromium)", file=sys.stderr)
        return 1
    directory = Path(sys.argv[1]) if len(sys.argv) > 1 else DOCS
    for path in asyncio.run(take(directory)):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

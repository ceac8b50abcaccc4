"""Many stores opening one new SQLite file at once (a many-bot app's bots): every one opens.
The switch to WAL takes the file's exclusive lock, and SQLite refuses it at once, without its
busy wait, while another connection is opening the same new file."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tgserve._stores.sqlite import SQLiteStore


async def test_fifty_stores_open_one_new_file_together(tmp_path: Path) -> None:
    for round_ in range(20):
        path = tmp_path / f"bots-{round_}.db"
        stores = [SQLiteStore(str(path), namespace=f"b{i}", ttl=60) for i in range(50)]
        opened = await asyncio.gather(*(s.open() for s in stores), return_exceptions=True)
        await asyncio.gather(*(s.close() for s in stores))
        assert [o for o in opened if o is not None] == []

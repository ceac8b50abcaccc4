"""1,000 updates polled by a real ``tgserve poll`` process that is stopped (SIGTERM) and
killed (SIGKILL) midway: no update is lost, and with a durable store none is handled twice
across a graceful restart."""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tests.conftest import TOKEN
from tests.hosts.polling.procs import Poller, clean, handled, wait_handled

from tgserve.emulator import Emulator

pytestmark = pytest.mark.timeout(120)
USERS = 20
PER_USER = 50
TOTAL = USERS * PER_USER


@pytest.fixture
async def tg() -> AsyncIterator[Emulator]:
    async with Emulator(tokens=[TOKEN]) as emulator:
        yield emulator


@pytest.mark.parametrize("store", ["memory", "sqlite"])
async def test_no_update_lost_across_sigterm_and_sigkill(
    tg: Emulator, tmp_path: Path, store: str
) -> None:
    log, out = tmp_path / "handled.log", tmp_path / "poller.out"
    url = "memory://" if store == "memory" else f"sqlite:///{tmp_path / 'dedup.db'}"
    users = [tg.user(f"user{i}") for i in range(USERS)]
    sent: dict[int, list[str]] = {}
    for n in range(PER_USER):
        for user in users:
            await user.send(f"u{user.id}-{n}")
            sent.setdefault(user.id, []).append(f"u{user.id}-{n}")

    first = Poller(tg.api_url, log, out, store=url)
    first.start()
    await wait_handled(log, 300)
    assert await first.signal(signal.SIGTERM) == 0, out.read_text()
    after_term = handled(log)

    second = Poller(tg.api_url, log, out, store=url)
    second.start()
    await wait_handled(log, len({r[0] for r in after_term}) + 300)
    assert await second.signal(signal.SIGKILL) == -signal.SIGKILL
    after_kill = handled(log)

    third = Poller(tg.api_url, log, out, store=url)
    third.start()
    try:
        await wait_handled(log, TOTAL, timeout=60)
        assert await third.signal(signal.SIGTERM) == 0, out.read_text()
    finally:
        third.kill()
    rows = handled(log)
    clean(out)

    texts = [row[2] for row in rows]
    assert set(texts) == {t for items in sent.values() for t in items}, "an update was lost"
    for chat, items in sent.items():
        firsts = list(dict.fromkeys(row[2] for row in rows if row[1] == chat))
        assert firsts == items, f"chat {chat} out of order"
    # a graceful stop commits the offset: nothing is repeated across SIGTERM
    term_ids = {row[0] for row in after_term}
    later = [row[0] for row in rows[len(after_term) :]]
    assert not term_ids & set(later), "a SIGTERM restart repeated updates"
    repeated = len(rows) - len(set(texts))
    killed_batch = len(after_kill) - len(after_term)
    print(f"\n{store}: {TOTAL} updates, {repeated} handled again after the SIGKILL")
    # memory: the killed poller's unconfirmed batch (at most 100) comes again and is handled
    # again. sqlite: handled updates are marked done, and the ones the killed poller still
    # held are polled again once their lease ends; only an update whose handler had finished
    # its side effect but whose "done" was not yet written when SIGKILL landed can repeat,
    # at most one per chat (observed: 0).
    assert repeated <= (USERS if store == "sqlite" else min(killed_batch, 100))

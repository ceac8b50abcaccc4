"""Broadcast progress in /metrics: the runtime serving a bot shows each of the bot's
jobs, read from the job store (SQLite, Redis, PostgreSQL), scraped over a real socket;
another bot's jobs in the same store are not shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

import tgserve
from tests.conftest_servers import postgres_url, redis_url
from tgserve._stores import open_store
from tgserve.broadcast import Broadcaster, open_jobs
from tgserve.emulator import Emulator
from tgserve.testing import serve

__all__ = ["postgres_url", "redis_url"]
pytestmark = pytest.mark.timeout(60)

UNKNOWN_CHAT = 987_654_321


@pytest.fixture(params=["sqlite", "redis", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    url: str = request.getfixturevalue(f"{request.param.replace('postgresql', 'postgres')}_url")
    return url


async def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with httpx.AsyncClient(trust_env=False) as client:
        answer = await client.get(f"{url}/metrics")
    assert answer.status_code == 200, answer.text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        if family.name.startswith("tgserve_broadcast")
        for sample in family.samples
    }


def job_of(samples: dict[Any, float], job: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for (name, labels), value in samples.items():
        named = dict(labels)
        if named.get("job") == job:
            out[named.get("outcome") or name.removeprefix("tgserve_broadcast_")] = value
    return out


async def test_metrics_show_each_job_of_the_bot(store_url: str) -> None:
    async with Emulator() as tg:
        world, bot = tg.world, tg.bot()
        users = [int(world.add_user(f"u{n}")["id"]) for n in range(5)]
        for user in users[:2]:
            world.blocks.block(bot.id, user)

        async def handle(update: dict[str, Any], client: Any) -> None:
            return None

        async with Broadcaster(tg.token, store=store_url, api_url=tg.api_url) as caster:
            done = await caster.create([*users, UNKNOWN_CHAT], text="news")
            await caster.run(done)
            later = await caster.create(users[2:4], text="later")
            other = open_store(store_url, namespace="4242")  # another bot, same store
            await other.open()
            try:
                await open_jobs(other, "4242").create("0ther0000000", {"method": "x"}, [1, 2])
            finally:
                await other.close()

            async with tg.serve(handle, store=store_url, limits="off") as server:
                first = await scrape(server.url)
                assert job_of(first, done) == {
                    "sent": 3.0,
                    "blocked": 2.0,
                    "not_found": 1.0,
                    "failed": 0.0,
                    "unconfirmed": 0.0,
                    "pending": 0.0,
                    "sending": 0.0,
                }
                assert job_of(first, later) == {
                    "sent": 0.0,
                    "blocked": 0.0,
                    "not_found": 0.0,
                    "failed": 0.0,
                    "unconfirmed": 0.0,
                    "pending": 2.0,
                    "sending": 0.0,
                }
                assert job_of(first, "0ther0000000") == {}
                assert {dict(labels)["job"] for _, labels in first} == {done, later}

                await caster.run(later)  # a running job's counts move between scrapes
                second = await scrape(server.url)
                assert job_of(second, later)["sent"] == 2.0
                assert job_of(second, later)["pending"] == 0.0
                assert job_of(second, done) == job_of(first, done)


async def test_a_store_without_broadcasts_shows_none() -> None:
    async with Emulator() as tg:

        async def handle(update: dict[str, Any], client: Any) -> None:
            return None

        async with tg.serve(handle, limits="off") as server:  # memory://
            assert await scrape(server.url) == {}


async def test_a_many_bot_app_shows_each_bots_jobs_labelled(tmp_path: Path) -> None:
    store_url = f"sqlite:///{tmp_path / 'bots.db'}"
    async with Emulator() as tg:
        tokens = {"a": tg.add_bot("A", "a_bot"), "b": tg.add_bot("B", "b_bot")}
        user = int(tg.world.add_user("u")["id"])
        jobs = {}
        for bot_id, token in tokens.items():
            async with Broadcaster(token, store=store_url, api_url=tg.api_url) as caster:
                jobs[bot_id] = await caster.create([user], text=f"from {bot_id}")
                if bot_id == "a":
                    await caster.run(jobs[bot_id])

        async def handle(update: dict[str, Any], client: Any) -> None:
            return None

        app = tgserve.asgi(
            {bot_id: tgserve.spec(handle, token=token) for bot_id, token in tokens.items()},
            api_url=tg.api_url,
            store=store_url,
            limits="off",
            gc_freeze=False,
        )
        async with serve(app) as url:
            samples = await scrape(url)
    by_bot: dict[str, dict[str, float]] = {}
    for (name, labels), value in samples.items():
        named = dict(labels)
        outcome = named.get("outcome") or name.removeprefix("tgserve_broadcast_")
        by_bot.setdefault(named["bot"], {})[f"{named['job']}:{outcome}"] = value
    assert by_bot["a"][f"{jobs['a']}:sent"] == 1.0
    assert by_bot["b"][f"{jobs['b']}:pending"] == 1.0
    assert not any(key.startswith(jobs["b"]) for key in by_bot["a"])  # each bot its own jobs

"""A broadcast to 5,000 emulator chats, SIGKILLed halfway and resumed: every chat has
exactly one message, and the 50 users who blocked the bot are recorded blocked.

The broadcaster is killed while it waits out a 429 (injected halfway), when no request
of it is in flight: the one moment a kill says nothing about what was delivered. Limits
are raised (1,000/s) for speed."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from tgserve._stores import open_store
from tgserve.broadcast import Progress
from tgserve.broadcast._redis import RedisJobs
from tgserve.emulator import Emulator
from tgserve.limits._redis import RedisLedger

pytestmark = pytest.mark.timeout(120)

CHATS, BLOCKED = 5000, 50


def env_for(tg: Emulator, store: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TGSERVE_")}
    return env | {
        "TELEGRAM_BOT_TOKEN": tg.token,
        "TGSERVE_API_URL": tg.api_url,
        "TGSERVE_STORE": store,
        "TGSERVE_LIMITS": "bot=1000,chat=50",
        "PYTHONUNBUFFERED": "1",
    }


async def broadcaster(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tgserve",
        "broadcast",
        "send",
        "--concurrency",
        "16",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_sigkill_halfway_then_resume_sends_once_per_chat(
    redis_url: str, tmp_path: Path
) -> None:
    async with Emulator(flood=True) as tg:
        tg.flood.configure(bot=2000)
        world, bot = tg.world, tg.bot()
        users = [int(world.add_user(f"u{n}")["id"]) for n in range(CHATS)]
        blocked = set(users[::100][:BLOCKED])
        for user in blocked:
            world.blocks.block(bot.id, user)
        chats = tmp_path / "chats.txt"
        chats.write_text("".join(f"{u}\n" for u in users))

        def delivered() -> int:
            return sum(len(world.conversation(bot.id, u).messages) for u in users)

        env = env_for(tg, redis_url)
        first = await broadcaster(env, "--chats", str(chats), "--text", "news")
        assert first.stdout is not None
        line = (await asyncio.wait_for(first.stdout.readline(), 30)).decode()
        assert line.startswith("job ") and "5000 chats" in line, line
        job = line.split()[1].rstrip(":")

        store = open_store(redis_url, namespace=str(bot.id))
        await store.open()
        try:
            jobs, ledger = RedisJobs(store, str(bot.id)), RedisLedger(store, str(bot.id))  # type: ignore[arg-type]
            deadline = time.monotonic() + 60
            while delivered() < CHATS // 2:
                if first.returncode is not None:
                    assert first.stderr is not None
                    raise AssertionError((await first.stderr.read()).decode()[-3000:])
                assert time.monotonic() < deadline
                await asyncio.sleep(0.2)
            tg.faults.fail("sendMessage", 1, retry_after=4)  # the broadcaster waits it out
            progress = Progress({})
            while True:
                progress = await jobs.progress(job)
                if progress.counts.get("sending", 0) == 0 and await ledger.cooldown() > 2.0:
                    break
                assert time.monotonic() < deadline
                await asyncio.sleep(0.01)
            first.send_signal(signal.SIGKILL)
            await first.wait()
            at_kill = delivered()
            assert CHATS // 2 <= at_kill < CHATS
            assert progress.done < CHATS

            second = await broadcaster(env, "--job", job)
            out, err = await asyncio.wait_for(second.communicate(), 90)
            assert second.returncode == 0, err.decode()[-2000:]
            assert f"job {job}: resuming" in out.decode() and "done" in out.decode()
            final = await jobs.progress(job)
        finally:
            await store.close()

        for user in users:
            messages = world.conversation(bot.id, user).messages
            assert len(messages) == (0 if user in blocked else 1), user
        assert final.counts == {"sent": CHATS - BLOCKED, "blocked": BLOCKED}, final.counts
        assert tg.flood.answered == 0, tg.flood.public()

        status = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tgserve",
            "broadcast",
            "status",
            job,
            env=env,
            stdout=asyncio.subprocess.PIPE,
        )
        text = (await status.communicate())[0].decode()
        assert status.returncode == 0
        assert f"sent {CHATS - BLOCKED}" in text and f"blocked {BLOCKED}" in text, text
        assert tg.token.split(":")[1] not in out.decode() + err.decode() + text

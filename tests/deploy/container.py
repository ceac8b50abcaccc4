"""The container's start commands, run outside a container: the Dockerfile's ENV, CMD and
HEALTHCHECK and docker-compose.yml's services, read from the files themselves, so the
tests run exactly what the image would (with loopback in place of 0.0.0.0 and of the
compose network's host names)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "deploy" / "docker"
WORKDIR = "/app"


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions (continuations joined, comments dropped)."""
    text = re.sub(r"\\\n\s*", " ", (DOCKER / "Dockerfile").read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for word, rest in instructions():
        if word == "ENV":
            for pair in shlex.split(rest):
                name, _, value = pair.partition("=")
                env[name] = value
    return env


def image_cmd() -> list[str]:
    (cmd,) = [json.loads(rest) for word, rest in instructions() if word == "CMD"]
    return [str(part) for part in cmd]


def healthcheck_cmd() -> list[str]:
    (rest,) = [rest for word, rest in instructions() if word == "HEALTHCHECK"]
    return [str(part) for part in json.loads(rest[rest.index("CMD") + 3 :])]


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DOCKER / "docker-compose.yml").read_text())
    return data


def loopback(argv: list[str]) -> list[str]:
    return [part.replace("0.0.0.0", "127.0.0.1") for part in argv]


def service_env(name: str, values: dict[str, str]) -> dict[str, str]:
    """A compose service's environment: the image's ENV, then the service's, with
    ``${VAR...}`` taken from ``values`` and the compose hosts given by ``values``."""
    env = image_env()
    for key, raw in compose()["services"][name].get("environment", {}).items():
        value = re.sub(r"\$\{(\w+)[^}]*\}", lambda m: values.get(m.group(1), ""), str(raw))
        env[key] = values.get(key, value)
    return env


class Process:
    """One start command of the image, in its own process, in the image's WORKDIR stand-in."""

    def __init__(self, argv: list[str], env: dict[str, str], log: IO[bytes]) -> None:
        # the image's /app is deploy/docker here; the worktree's src goes first
        paths = [str(DOCKER) if p == WORKDIR else p for p in env.get("PYTHONPATH", "").split(":")]
        bin_dir = os.path.dirname(sys.executable)
        full = {
            **os.environ,
            **env,
            "PATH": os.pathsep.join([bin_dir, os.environ.get("PATH", "")]),
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), *filter(None, paths)]),
        }
        self.env = full
        # its own process group: a stop reaches a shell's children too
        self.proc = subprocess.Popen(
            argv, cwd=DOCKER, env=full, stdout=log, stderr=log, start_new_session=True
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def rss_kb(self) -> int:
        """VmRSS of the process and its children (``sh -c exec`` leaves one process)."""
        total = 0
        for pid in [self.pid, *children(self.pid)]:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except FileNotFoundError:
                continue
        return total

    def terminate(self, timeout: float = 35.0) -> int:
        """SIGTERM to the process group (as a platform stops a container), SIGKILL late."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        with contextlib.suppress(ProcessLookupError):  # nothing of the group outlives the test
            os.killpg(self.proc.pid, signal.SIGKILL)
        return self.proc.returncode


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return []
    out = [int(c) for c in text.split()]
    return out + [g for c in out for g in children(c)]

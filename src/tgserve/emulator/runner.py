"""Serve an ASGI app with uvicorn inside the running event loop (no signal handlers)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Generator
from typing import Any, Literal

import uvicorn


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class InLoopServer:
    """`await start()` binds (port 0: an unused one) and serves; `await stop()` ends it."""

    def __init__(
        self,
        app: Any,
        host: str = "127.0.0.1",
        port: int = 0,
        lifespan: Literal["auto", "on", "off"] = "off",
    ) -> None:
        self.app = app
        self.lifespan = lifespan
        self.host = host
        self.port = port
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        config = uvicorn.Config(
            self.app,
            host=self.host,
            port=self.port,
            log_level="warning",
            access_log=False,
            lifespan=self.lifespan,
        )
        self._server = _Server(config)
        self._task = asyncio.create_task(self._serve(self._server), name="tgserve-in-loop-server")
        while not self._server.started:
            if self._task.done():
                await self._task
                self._server = self._task = None
                raise OSError(f"could not serve on {self.host}:{self.port}")
            await asyncio.sleep(0.005)
        self.port = int(self._server.servers[0].sockets[0].getsockname()[1])

    @staticmethod
    async def _serve(server: _Server) -> None:
        try:
            await server.serve()
        except SystemExit:  # uvicorn's answer to a failed bind; keep it out of the loop
            return

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
        self._server = self._task = None

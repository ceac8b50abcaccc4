"""Serve an ASGI app with uvicorn inside the running event loop (no signal handlers).

The one in-loop runner: the emulator, ``tgserve run`` and the test helpers use it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import uvicorn


class InLoopServer:
    """`await start()` binds (port 0: an unused one) and serves; `await stop()` ends it.

    ``options`` go to ``uvicorn.Config`` (defaults: ``log_level="warning"``,
    ``access_log=False``, ``lifespan="off"``).
    """

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0, **options: Any) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.options = {"log_level": "warning", "access_log": False, "lifespan": "off", **options}
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        """Serve; raise OSError when the address cannot be bound."""
        import uvicorn

        class Server(uvicorn.Server):
            @contextlib.contextmanager
            def capture_signals(self) -> Generator[None, None, None]:
                yield  # the caller's loop owns the signals

        config = uvicorn.Config(self.app, host=self.host, port=self.port, **self.options)
        server = self._server = Server(config)
        self._task = asyncio.create_task(self._serve(server), name="tgserve-in-loop-server")
        while not server.started:
            if self._task.done():
                await self._task
                self._server = self._task = None
                raise OSError(f"could not serve on {self.host}:{self.port}")
            await asyncio.sleep(0.005)
        self.port = int(server.servers[0].sockets[0].getsockname()[1])

    @staticmethod
    async def _serve(server: uvicorn.Server) -> None:
        try:
            await server.serve()
        except SystemExit:  # uvicorn's answer to a failed bind; keep it out of the loop
            return

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
        self._server = self._task = None

    async def __aenter__(self) -> InLoopServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

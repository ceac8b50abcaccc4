"""The local Telegram as one object: `async with Emulator() as tg:`."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from types import TracebackType
from typing import Any

from tgserve._inloop import InLoopServer
from tgserve.emulator._credentials import fresh_token
from tgserve.emulator._faults import Faults
from tgserve.emulator._flood import Flood
from tgserve.emulator._local import serve_bot
from tgserve.emulator._server import create_app
from tgserve.emulator._state import BotState, World
from tgserve.emulator._users import Group, User


class Emulator:
    """A local Telegram Bot API server on 127.0.0.1, with simulated users.

    `async with Emulator(time_scale=0.01) as tg:` starts it on the running loop;
    point a bot at `tg.api_url` with `tg.token`.
    """

    def __init__(
        self,
        *,
        tokens: Iterable[str] | None = None,
        time_scale: float = 1.0,
        flood: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
        webhook_timeout: float = 60.0,
    ) -> None:
        fixed = list(tokens) if tokens is not None else None
        self.world = World(tokens=fixed, time_scale=time_scale, flood=flood)
        self.world.webhook_timeout = webhook_timeout
        self.token = fixed[0] if fixed else fresh_token()
        self.world.add_bot(self.token, "Test Bot", "test_bot")
        self.app = create_app(self.world)
        self._server = InLoopServer(self.app, host, port)

    @property
    def url(self) -> str:
        """The root URL: the browser chat."""
        return self._server.url

    @property
    def api_url(self) -> str:
        """Base URL of the Bot API (`{api_url}/bot<token>/<method>`)."""
        return self.url

    @property
    def faults(self) -> Faults:
        return self.world.faults

    @property
    def flood(self) -> Flood:
        return self.world.flood

    def bot(self, token: str | None = None) -> BotState:
        state = self.world.bots.get(token or self.token)
        if state is None:
            raise LookupError("unknown bot token")
        return state

    def add_bot(self, first_name: str = "Other Bot", username: str | None = None) -> str:
        """Register another bot; returns its token."""
        token = fresh_token()
        self.world.add_bot(token, first_name, username)
        return token

    def user(self, first_name: str, username: str | None = None) -> User:
        return User(self, self.world.add_user(first_name.capitalize(), username or first_name))

    def group(self, title: str, members: Iterable[User]) -> Group:
        return Group(self, self.world.add_group(title, [m.id for m in members]))

    def serve(
        self, target: Any, *, bot: Any = None, **options: Any
    ) -> contextlib.AbstractAsyncContextManager[InLoopServer]:
        """`async with tg.serve(handle):` runs the bot under tgserve.asgi on this emulator."""
        return serve_bot(self, target, bot=bot, **options)

    async def start(self) -> None:
        """Serve on the running loop (port 0: an unused port)."""
        await self._server.start()

    async def stop(self) -> None:
        """Stop deliveries and long polls, then the server."""
        await self.world.aclose()
        await self._server.stop()

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def __repr__(self) -> str:
        return f"<Emulator {self.url} bots={len(self.world.bots)}>"

    def __getstate__(self) -> Any:
        raise TypeError("an Emulator cannot be pickled")

"""Group commit: calls that arrive while one batch is written go together in the next one."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Batcher(Generic[T, R]):
    """``await submit(item)`` returns ``write(batch)[i]`` for the item's place in its batch.

    At most one ``write`` runs at a time; under load each one carries everything that
    arrived during the previous one, so a store sees few round trips; alone, an item
    is written at once. A failed write fails every caller of that batch; a cancelled one
    cancels them.
    """

    def __init__(self, write: Callable[[list[T]], Awaitable[Sequence[R]]]) -> None:
        self._write = write
        self._arrivals: list[tuple[T, asyncio.Future[R]]] = []
        self._writer: asyncio.Future[None] | None = None

    async def submit(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._arrivals.append((item, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.ensure_future(self._drain())
        return await future

    async def aclose(self) -> None:
        """Wait for the batches in progress."""
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)

    async def _drain(self) -> None:
        while self._arrivals:
            batch, self._arrivals = self._arrivals, []
            try:
                results = await self._write([item for item, _ in batch])
            except asyncio.CancelledError:
                for _, future in batch:
                    future.cancel()
                # those that arrived during the cancelled write were not in it: a new writer
                # takes them now (callers cancelled with it, at a loop's end, leave none)
                self._arrivals = [(i, f) for i, f in self._arrivals if not f.done()]
                if self._arrivals:
                    self._writer = asyncio.ensure_future(self._drain())
                raise
            except Exception as exc:  # handed to every caller; this task itself never fails
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)

"""A Python load generator on raw asyncio streams (uvloop when present).

It posts real-shaped webhook updates over keep-alive HTTP/1.1 connections, one request
in flight per connection (as Telegram does), and records each answer's status and
latency. ``python bench/loadgen.py --ceiling`` measures its own ceiling against a
canned-answer server in another process, so that its limit is known.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

CHATS = 100
Body = Callable[[int], bytes]


def update_body(update_id: int, chats: int = CHATS) -> bytes:
    """A private-chat text message update as Telegram sends it."""
    chat = 100_000 + update_id % chats
    user = {
        "id": chat,
        "is_bot": False,
        "first_name": "Bench",
        "username": f"u{chat}",
        "language_code": "en",
    }
    update = {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "from": user,
            "chat": {"id": chat, "first_name": "Bench", "username": f"u{chat}", "type": "private"},
            "date": 1_700_000_000 + update_id,
            "text": f"hello {update_id}",
        },
    }
    return json.dumps(update, separators=(",", ":")).encode()


def send_message_body(update_id: int) -> bytes:
    """A sendMessage call as a bot makes it (to measure the Bot API stub)."""
    return json.dumps(
        {"chat_id": 100_000 + update_id % CHATS, "text": f"echo {update_id}"}
    ).encode()


@dataclass
class LoadResult:
    """What one load run saw; latencies in seconds, sorted."""

    sent: int = 0
    ok: int = 0
    failed: int = 0  # non-2xx answers
    errors: int = 0  # connection errors, timeouts
    started: float = 0.0  # time.time()
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        index = min(len(self.latencies) - 1, round(p / 100 * (len(self.latencies) - 1)))
        return self.latencies[index]

    def summary(self) -> dict[str, Any]:
        data = asdict(self)
        del data["latencies"]
        data["rate"] = round(self.rate, 1)
        data["p50_ms"] = round(self.percentile(50) * 1000, 3)
        data["p99_ms"] = round(self.percentile(99) * 1000, 3)
        return data


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; return its status and whether the connection stays open."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    version, status = lines[0].split(" ", 2)[:2]
    length = 0
    chunked = False
    keep = version == "HTTP/1.1"
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
        elif name == "connection":
            keep = value.strip().lower() == "keep-alive" or (keep and "close" not in value.lower())
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return int(status), keep


async def run(
    host: str,
    port: int,
    count: int,
    connections: int,
    *,
    path: str = "/webhook",
    body: Body = update_body,
    first_id: int = 1,
    timeout: float = 10.0,
    deadline: float = 120.0,
    rate: float | None = None,
) -> LoadResult:
    """Post ``count`` bodies over ``connections`` keep-alive connections, as fast as answered,
    or, with ``rate``, each update at its scheduled time (``rate`` per second in all)."""
    result = LoadResult()
    ids: Iterator[int] = iter(range(first_id, first_id + count))
    prefix = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        "Content-Type: application/json\r\nContent-Length: "
    ).encode()
    latencies = result.latencies
    stop_at = time.monotonic() + deadline
    start_at = time.monotonic()

    async def worker() -> None:
        reader: asyncio.StreamReader | None = None
        writer: asyncio.StreamWriter | None = None
        try:
            for update_id in ids:
                if time.monotonic() > stop_at:
                    break
                if rate:
                    due = start_at + (update_id - first_id) / rate
                    if due > time.monotonic():
                        await asyncio.sleep(due - time.monotonic())
                payload = body(update_id)
                request = prefix + str(len(payload)).encode() + b"\r\n\r\n" + payload
                result.sent += 1
                began = time.perf_counter()
                try:
                    if writer is None:
                        reader, writer = await asyncio.wait_for(
                            asyncio.open_connection(host, port), timeout
                        )
                    assert reader is not None
                    writer.write(request)
                    status, keep = await asyncio.wait_for(_read_response(reader), timeout)
                except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError):
                    result.errors += 1
                    if writer is not None:
                        writer.close()
                    reader = writer = None
                    continue
                latencies.append(time.perf_counter() - began)
                if 200 <= status < 300:
                    result.ok += 1
                else:
                    result.failed += 1
                if not keep:
                    writer.close()
                    reader = writer = None
        finally:
            if writer is not None:
                writer.close()

    result.started = time.time()
    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    result.seconds = time.perf_counter() - began
    latencies.sort()
    return result


# the canned-answer server, for the load generator's own ceiling ---------------

CANNED = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


class _Canned(asyncio.Protocol):
    """Answers every complete request at once; assumes requests carry a Content-Length."""

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].lower()
            at = head.find(b"content-length:")
            length = int(head[at + 15 :].split(b"\r\n", 1)[0]) if at >= 0 else 0
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            self.transport.write(CANNED)


async def _serve_canned(port: int) -> None:
    server = await asyncio.get_running_loop().create_server(_Canned, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


def use_uvloop() -> None:
    try:
        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def ceiling(port: int, count: int, connections: int) -> dict[str, Any]:
    """Run the canned server in a child process and load it; the load generator's limit."""
    child = subprocess.Popen([sys.executable, __file__, "--canned", "--port", str(port)])
    try:
        wait_port("127.0.0.1", port, 10)
        result = asyncio.run(run("127.0.0.1", port, count, connections))
    finally:
        child.send_signal(signal.SIGTERM)
        child.wait(10)
    return result.summary()


def wait_port(host: str, port: int, timeout: float) -> None:
    import socket

    end = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection((host, port), 0.5).close()
            return
        except OSError:
            if time.monotonic() > end:
                raise
            time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=18999)
    parser.add_argument("--canned", action="store_true", help="serve canned answers")
    parser.add_argument("--ceiling", action="store_true", help="measure this generator's limit")
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=40)
    args = parser.parse_args()
    use_uvloop()
    if args.canned:
        signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
        asyncio.run(_serve_canned(args.port))
    elif args.ceiling:
        print(json.dumps(ceiling(args.port, args.count, args.connections)))
    else:
        result = asyncio.run(run("127.0.0.1", args.port, args.count, args.connections))
        print(json.dumps(result.summary()))


if __name__ == "__main__":
    main()

"""A bounded flood of bad requests at 127.0.0.1:PORT for SECONDS, run as its own process.

``python -m tests.hygiene.flood PORT SECONDS RATE SECRET`` sends about RATE bad requests a
second over 4 keep-alive connections (RATE 0: as fast as they are answered), holds 20
slow-body and 100 idle connections, and prints how many were answered, by status.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections import Counter

CONNECTIONS = 4

BAD = [
    b"POST /webhook HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
    b'content-length: 15\r\n\r\n{"update_id":1}',  # no secret: 401
    b"POST /webhook HTTP/1.1\r\nhost: x\r\nx-telegram-bot-api-secret-token: wrong\r\n"
    b"content-length: 2\r\n\r\n{}",  # wrong secret: 401
    b"GET /nowhere HTTP/1.1\r\nhost: x\r\n\r\n",  # 404
    b"PUT /webhook HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n",  # 405
    b"POST /webhook HTTP/1.1\r\nhost: x\r\nx-telegram-bot-api-secret-token: SECRET\r\n"
    b"content-length: 999999999\r\n\r\n",  # 413 before the body
]


async def busy(port: int, secret: bytes, until: float, pause: float, counts: Counter[str]) -> None:
    loop = asyncio.get_running_loop()
    i = 0
    while loop.time() < until:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for _ in range(50):
                if loop.time() >= until:
                    break
                writer.write(BAD[i % len(BAD)].replace(b"SECRET", secret))
                i += 1
                head = await reader.readuntil(b"\r\n\r\n")
                status = head.split(b" ", 2)[1].decode()
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                await reader.readexactly(length)
                counts[status] += 1
                if pause:
                    await asyncio.sleep(pause)
                if b"connection: close" in head.lower() or status == "413":
                    break  # a 413 leaves the declared body unsent: start a new connection
        except (ConnectionError, asyncio.IncompleteReadError):
            counts["dropped"] += 1
        finally:
            writer.close()


async def slow(port: int, secret: bytes, until: float, counts: Counter[str]) -> None:
    """Headers, a little body, then nothing: the server must time the body read out."""
    loop = asyncio.get_running_loop()
    while loop.time() < until:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"POST /webhook HTTP/1.1\r\nhost: x\r\nx-telegram-bot-api-secret-token: "
            + secret
            + b'\r\ncontent-length: 1000\r\n\r\n{"upd'
        )
        try:
            async with asyncio.timeout(max(until - loop.time(), 0.01)):
                head = await reader.readuntil(b"\r\n\r\n")
            counts["slow-" + head.split(b" ", 2)[1].decode()] += 1
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


async def idle(port: int, until: float) -> None:
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    await asyncio.sleep(max(until - asyncio.get_running_loop().time(), 0))
    writer.close()


async def main(port: int, seconds: float, rate: float, secret: bytes) -> None:
    counts: Counter[str] = Counter()
    loop = asyncio.get_running_loop()
    began = loop.time()
    until = began + seconds
    pause = CONNECTIONS / rate if rate else 0.0
    jobs = [busy(port, secret, until, pause, counts) for _ in range(CONNECTIONS)]
    jobs += [slow(port, secret, until, counts) for _ in range(20)]
    jobs += [idle(port, until) for _ in range(100)]
    await asyncio.gather(*jobs)
    print(dict(counts), flush=True)


if __name__ == "__main__":
    os.nice(15)  # an attacker's CPU is elsewhere: measure the server, not this generator
    port, seconds, rate = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
    asyncio.run(main(port, seconds, rate, sys.argv[4].encode()))

"""Checks a command makes before it serves, so a bad setting is refused in one line up front."""

from __future__ import annotations

import asyncio
import errno
import socket
from urllib.parse import urlsplit

from tgserve._config import Config, ConfigError

STORE_TIMEOUT = 5.0  # seconds to reach a store server before the command gives up


def reach_store(config: Config) -> None:
    """Open and close the configured store once; a ``ConfigError`` if it cannot be reached."""
    asyncio.run(reach_store_async(config))


async def reach_store_async(config: Config) -> None:
    """:func:`reach_store` on a running loop."""
    from tgserve._stores import open_store

    if config.store.startswith("memory://"):
        return
    try:
        store = open_store(config.store, namespace="tgserve-preflight", ttl=config.dedup_ttl)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    try:
        async with asyncio.timeout(STORE_TIMEOUT):
            await store.open()
    except ModuleNotFoundError:
        raise
    except Exception as exc:  # the driver's own error: refused, unknown host, bad password
        why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"store: cannot reach {where(config.store)}: {why}") from None
    finally:
        await store.close()


def where(url: str) -> str:
    """A store URL without its password: ``redis://host:port``."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # not a number: Config refuses it first; shown as given, not raised
        port = ":" + parts.netloc.rpartition(":")[2]
    return f"{parts.scheme}://{host}{port}{parts.path if parts.scheme == 'sqlite' else ''}"


def check_port(host: str, port: int, flag: str) -> None:
    """A ``ConfigError`` naming ``flag`` when ``host:port`` is taken (port 0 is always free)."""
    if not 0 <= port <= 65535:
        raise ConfigError(f"{flag} must be a port number from 0 to 65535, got {port}")
    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ConfigError(f"port {port} on {host} is in use; pass {flag} PORT") from None
            raise ConfigError(f"cannot listen on {host}:{port} ({exc.strerror}); {flag}") from None

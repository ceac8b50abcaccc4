"""``file://[/path]``: an fcntl lock on a file, released by the OS when its holder dies."""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import urllib.parse

from tgserve._locks.base import lease_of


class FileLock:
    """Holds ``flock(LOCK_EX)`` on the file; the fence is a counter kept in the file."""

    def __init__(self, url: str, name: str) -> None:
        path = urllib.parse.unquote(urllib.parse.urlsplit(url).path)
        self.path = path or os.path.join(tempfile.gettempdir(), f"tgserve-poll-{name}.lock")
        self.lease = lease_of(url, 2.0)
        self.fence: int | None = None
        self._fd: int | None = None

    async def acquire(self) -> bool:
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        self.fence = self._bump(fd)
        return True

    @staticmethod
    def _bump(fd: int) -> int:
        raw = os.pread(fd, 32, 0).strip()
        fence = (int(raw) if raw.isdigit() else 0) + 1
        data = str(fence).encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, data, 0)
        return fence

    async def renew(self) -> bool:
        return self._fd is not None

    async def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

"""The SQLite store: durable dedup and queue for every process on one machine (WAL mode).

The stdlib ``sqlite3`` runs on one dedicated thread per store, so the event loop
never blocks on disk; each write is one ``BEGIN IMMEDIATE`` transaction, which
SQLite serialises across processes (``busy_timeout`` waits for the lock).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import sqlite3
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from tgserve._batching import Batcher
from tgserve._stores.base import Claim
from tgserve._stores.queue_store import Job, QueueStats

T = TypeVar("T")
_Arrival = tuple[int, str, bytes]
PURGE_EVERY = 60.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS tgserve_updates (
    ns TEXT NOT NULL,
    update_id INTEGER NOT NULL,
    state TEXT NOT NULL,            -- 'claimed' | 'queued' | 'done'
    chat TEXT,
    payload BLOB,
    lease_until REAL,               -- dedup claims only
    attempt INTEGER NOT NULL DEFAULT 0,
    enqueued_at REAL,
    done_at REAL,
    PRIMARY KEY (ns, update_id)
);
CREATE INDEX IF NOT EXISTS tgserve_updates_queued
    ON tgserve_updates (ns, chat, update_id) WHERE state = 'queued';
CREATE INDEX IF NOT EXISTS tgserve_updates_done
    ON tgserve_updates (ns, done_at) WHERE state = 'done';
CREATE TABLE IF NOT EXISTS tgserve_chats (
    ns TEXT NOT NULL,
    chat TEXT NOT NULL,
    pending INTEGER NOT NULL DEFAULT 0,
    since REAL,                     -- enqueue time of the oldest pending update
    lease_until REAL,
    token TEXT,
    PRIMARY KEY (ns, chat)
);
CREATE INDEX IF NOT EXISTS tgserve_chats_ready ON tgserve_chats (ns, since) WHERE pending > 0;
"""


class SQLiteStore:
    """Rows in ``tgserve_updates`` and ``tgserve_chats``, keyed by the bot's namespace."""

    def __init__(self, path: str, *, namespace: str, ttl: float, busy_timeout: float = 10.0):
        self.path = path
        self.namespace = namespace
        self.ttl = ttl
        self.busy_timeout = busy_timeout
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._db: sqlite3.Connection | None = None
        self._purged = 0.0
        self._enqueues: Batcher[_Arrival, bool] = Batcher(self._enqueue_batch)

    async def open(self) -> None:
        if self._executor is not None:
            return
        self._executor = concurrent.futures.ThreadPoolExecutor(1, "tgserve-sqlite")
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._connect)

    async def close(self) -> None:
        await self._enqueues.aclose()
        executor, self._executor = self._executor, None
        if executor is None:
            return
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(executor, self._disconnect)
        except RuntimeError:  # at interpreter exit no executor takes work; the OS closes the file
            return
        executor.shutdown(wait=True)

    def _connect(self) -> None:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None)
        db.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
        _wal(db, self.busy_timeout)
        db.execute("PRAGMA synchronous = NORMAL")
        with _write(db):
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
        self._db = db

    def _disconnect(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn(connection)`` on the store's thread (tgserve.limits keeps its budgets so)."""
        return await self._run(fn)

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._executor is None:
            raise RuntimeError("the SQLite store is not open")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._call, fn)

    def _call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._db is None:
            raise RuntimeError("the SQLite store is closed")
        return fn(self._db)

    # dedup -----------------------------------------------------------------

    async def claim(self, update_id: int, lease: float) -> Claim:
        def run(db: sqlite3.Connection) -> Claim:
            now = time.time()
            with _write(db):
                cur = db.execute(
                    "INSERT INTO tgserve_updates (ns, update_id, state, lease_until)"
                    " VALUES (?, ?, 'claimed', ?) ON CONFLICT (ns, update_id) DO UPDATE"
                    " SET state = 'claimed', lease_until = excluded.lease_until,"
                    " done_at = NULL, payload = NULL"
                    " WHERE (state = 'claimed' AND lease_until < ?)"
                    " OR (state = 'done' AND done_at < ?)",
                    (self.namespace, update_id, now + lease, now, now - self.ttl),
                )
                if cur.rowcount == 1:
                    self._maybe_purge(db, now)
                    return Claim.NEW
                row = db.execute(
                    "SELECT state FROM tgserve_updates WHERE ns = ? AND update_id = ?",
                    (self.namespace, update_id),
                ).fetchone()
            return Claim.DONE if row and row[0] == "done" else Claim.BUSY

        return await self._run(run)

    async def renew(self, update_ids: Sequence[int], lease: float) -> None:
        def run(db: sqlite3.Connection) -> None:
            until = time.time() + lease
            with _write(db):
                db.executemany(
                    "UPDATE tgserve_updates SET lease_until = ?"
                    " WHERE ns = ? AND update_id = ? AND state = 'claimed'",
                    [(until, self.namespace, u) for u in update_ids],
                )

        if update_ids:
            await self._run(run)

    async def done(self, update_id: int) -> None:
        def run(db: sqlite3.Connection) -> None:
            with _write(db):
                db.execute(
                    "INSERT INTO tgserve_updates (ns, update_id, state, done_at)"
                    " VALUES (?, ?, 'done', ?) ON CONFLICT (ns, update_id) DO UPDATE"
                    " SET state = 'done', done_at = excluded.done_at, payload = NULL,"
                    " lease_until = NULL",
                    (self.namespace, update_id, time.time()),
                )

        await self._run(run)

    async def release(self, update_id: int) -> None:
        def run(db: sqlite3.Connection) -> None:
            with _write(db):
                db.execute(
                    "DELETE FROM tgserve_updates WHERE ns = ? AND update_id = ?"
                    " AND state = 'claimed'",
                    (self.namespace, update_id),
                )

        await self._run(run)

    # queue -----------------------------------------------------------------

    async def enqueue(self, update_id: int, chat: str, payload: bytes) -> bool:
        # group commit: updates arriving while a write runs are stored in the next one
        return await self._enqueues.submit((update_id, chat, payload))

    async def _enqueue_batch(self, batch: list[_Arrival]) -> list[bool]:
        return await self._run(functools.partial(self._enqueue_many, batch=batch))

    def _enqueue_many(self, db: sqlite3.Connection, batch: list[_Arrival]) -> list[bool]:
        now = time.time()
        added = []
        with _write(db):
            for update_id, chat, payload in batch:
                cur = db.execute(
                    "INSERT INTO tgserve_updates"
                    " (ns, update_id, state, chat, payload, enqueued_at)"
                    " VALUES (?, ?, 'queued', ?, ?, ?) ON CONFLICT (ns, update_id) DO UPDATE"
                    " SET state = 'queued', chat = excluded.chat, payload = excluded.payload,"
                    " enqueued_at = excluded.enqueued_at, attempt = 0, done_at = NULL"
                    " WHERE state = 'done' AND done_at < ?",
                    (self.namespace, update_id, chat, payload, now, now - self.ttl),
                )
                added.append(cur.rowcount == 1)
                if cur.rowcount == 1:
                    db.execute(
                        "INSERT INTO tgserve_chats (ns, chat, pending, since) VALUES (?, ?, 1, ?)"
                        " ON CONFLICT (ns, chat) DO UPDATE SET pending = pending + 1,"
                        " since = coalesce(since, excluded.since)",
                        (self.namespace, chat, now),
                    )
            self._maybe_purge(db, now)
        return added

    async def take(self, limit: int, lease: float) -> list[Job]:
        def run(db: sqlite3.Connection) -> list[Job]:
            now = time.time()
            token = uuid.uuid4().hex
            jobs: list[Job] = []
            ready = db.execute(  # a read first: no write lock while there is nothing to take
                "SELECT 1 FROM tgserve_chats WHERE ns = ? AND pending > 0"
                " AND (lease_until IS NULL OR lease_until < ?) LIMIT 1",
                (self.namespace, now),
            ).fetchone()
            if ready is None:
                return jobs
            with _write(db):
                chats = db.execute(
                    "SELECT chat FROM tgserve_chats WHERE ns = ? AND pending > 0"
                    " AND (lease_until IS NULL OR lease_until < ?) ORDER BY since LIMIT ?",
                    (self.namespace, now, limit),
                ).fetchall()
                for (chat,) in chats:
                    row = db.execute(
                        "UPDATE tgserve_updates SET attempt = attempt + 1 WHERE ns = ?"
                        " AND update_id = (SELECT min(update_id) FROM tgserve_updates"
                        " WHERE ns = ? AND chat = ? AND state = 'queued')"
                        " RETURNING update_id, payload, attempt",
                        (self.namespace, self.namespace, chat),
                    ).fetchone()
                    if row is None:
                        continue
                    db.execute(
                        "UPDATE tgserve_chats SET lease_until = ?, token = ?"
                        " WHERE ns = ? AND chat = ?",
                        (now + lease, token, self.namespace, chat),
                    )
                    jobs.append(Job(row[0], chat, bytes(row[1]), row[2], token))
            return jobs

        return await self._run(run)

    async def extend(self, jobs: Sequence[Job], lease: float) -> list[Job]:
        def run(db: sqlite3.Connection) -> list[Job]:
            until = time.time() + lease
            lost = []
            with _write(db):
                for job in jobs:
                    cur = db.execute(
                        "UPDATE tgserve_chats SET lease_until = ?"
                        " WHERE ns = ? AND chat = ? AND token = ?",
                        (until, self.namespace, job.chat, job.token),
                    )
                    if cur.rowcount != 1:
                        lost.append(job)
            return lost

        return await self._run(run) if jobs else []

    async def finish(self, job: Job) -> bool:
        return (await self.finish_many([job]))[0]

    async def finish_many(self, jobs: Sequence[Job]) -> list[bool]:
        def run(db: sqlite3.Connection) -> list[bool]:
            now = time.time()
            with _write(db):
                return [self._finish_one(db, job, now) for job in jobs]

        return await self._run(run) if jobs else []

    def _finish_one(self, db: sqlite3.Connection, job: Job, now: float) -> bool:
        cur = db.execute(
            "UPDATE tgserve_updates SET state = 'done', payload = NULL, done_at = ?"
            " WHERE ns = ? AND update_id = ? AND state = 'queued' AND EXISTS"
            " (SELECT 1 FROM tgserve_chats WHERE ns = ? AND chat = ? AND token = ?)",
            (now, self.namespace, job.update_id, self.namespace, job.chat, job.token),
        )
        if cur.rowcount != 1:
            return False
        db.execute(
            "UPDATE tgserve_chats SET pending = pending - 1, lease_until = NULL,"
            " token = NULL, since = (SELECT enqueued_at FROM tgserve_updates"
            " WHERE ns = ? AND chat = ? AND state = 'queued' ORDER BY update_id LIMIT 1)"
            " WHERE ns = ? AND chat = ?",
            (self.namespace, job.chat, self.namespace, job.chat),
        )
        db.execute(
            "DELETE FROM tgserve_chats WHERE ns = ? AND chat = ? AND pending <= 0",
            (self.namespace, job.chat),
        )
        return True

    async def retry(self, job: Job, delay: float) -> bool:
        def run(db: sqlite3.Connection) -> bool:
            with _write(db):
                cur = db.execute(
                    "UPDATE tgserve_chats SET lease_until = ?, token = NULL"
                    " WHERE ns = ? AND chat = ? AND token = ?",
                    (time.time() + delay, self.namespace, job.chat, job.token),
                )
            return cur.rowcount == 1

        return await self._run(run)

    async def stats(self) -> QueueStats:
        def run(db: sqlite3.Connection) -> QueueStats:
            now = time.time()
            backlog, oldest, in_flight = db.execute(
                "SELECT coalesce(sum(pending), 0), min(since),"
                " coalesce(sum(token IS NOT NULL AND lease_until >= ?), 0)"
                " FROM tgserve_chats WHERE ns = ? AND pending > 0",
                (now, self.namespace),
            ).fetchone()
            return QueueStats(int(backlog), int(in_flight), 0.0 if oldest is None else now - oldest)

        return await self._run(run)

    def _maybe_purge(self, db: sqlite3.Connection, now: float) -> None:
        if now - self._purged < PURGE_EVERY:
            return
        self._purged = now
        db.execute(
            "DELETE FROM tgserve_updates WHERE ns = ? AND state = 'done' AND done_at < ?",
            (self.namespace, now - self.ttl),
        )


def _wal(db: sqlite3.Connection, wait: float) -> None:
    """Put the file in WAL mode. The switch takes the file's exclusive lock, and SQLite
    answers "database is locked" at once (no busy wait) when another connection opens the
    new file at the same moment (many bots on one file); try again within ``wait``."""
    deadline = time.monotonic() + wait
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


class _write:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, or ``ROLLBACK`` on error."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        self.db.execute("ROLLBACK" if kind is not None else "COMMIT")


def from_url(url: str, *, namespace: str, ttl: float) -> SQLiteStore:
    """``sqlite:///relative.db``, ``sqlite:////abs/path.db`` or ``sqlite://:memory:``."""
    parts = urlsplit(url)
    path = parts.path[1:] if parts.path.startswith("/") else parts.path
    if parts.netloc == ":memory:" or path == ":memory:":
        path = ":memory:"
    if not path:
        raise ValueError("sqlite store URL needs a path, e.g. sqlite:///bot.db")
    return SQLiteStore(path, namespace=namespace, ttl=ttl)

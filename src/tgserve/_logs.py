"""Log formatting: one-line JSON for machines, one readable line for people.

tgserve only ever logs through :mod:`logging`; nothing here runs unless the CLI or the
user calls :func:`configure_logging`. Fields that apply to one update travel as record
attributes (``log.info(..., extra={"update_id": 1})``); for a whole block of code, through
:func:`bind` (this task or thread; read by tgserve's formatters) or :func:`stamp` (every
record the process makes meanwhile, as attributes any handler sees: the Lambda host stamps
``aws_request_id`` and ``cold_start``, since one invocation runs at a time and a task
started in an earlier one logs for the current one).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import json
import logging
import os
import sys
import threading
from collections.abc import Iterator
from typing import IO, Any, Literal

from tgserve import _redact as redact

FIELDS = (
    "update_id",
    "chat_id",
    "host",
    "latency_ms",
    "outcome",
    "aws_request_id",
    "cold_start",
)
FORMAT_ENV = "TGSERVE_LOG_FORMAT"
LEVEL_ENV = "TGSERVE_LOG_LEVEL"
Format = Literal["json", "text"]
# chatty at INFO (a line per HTTP request, with the URL); shown again at DEBUG
QUIET = ("httpx", "httpcore", "hpack")

_bound: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "tgserve_log_fields", default=None
)


@contextlib.contextmanager
def bind(**fields: Any) -> Iterator[None]:
    """Add ``fields`` to every record formatted inside the block (this task or thread)."""
    token = _bound.set({**(_bound.get() or {}), **fields})
    try:
        yield
    finally:
        _bound.reset(token)


_stamped: dict[str, Any] = {}
_stamp_lock = threading.Lock()
_stamping = False


@contextlib.contextmanager
def stamp(**fields: Any) -> Iterator[None]:
    """Every record the process makes inside the block carries ``fields`` as attributes,
    whichever task or thread logs it. One block at a time (the caller serialises them);
    the record factory that does it is installed on first use."""
    global _stamping
    with _stamp_lock:
        if not _stamping:
            logging.setLogRecordFactory(_stamper(logging.getLogRecordFactory()))
            _stamping = True
    _stamped.update(fields)
    try:
        yield
    finally:
        _stamped.clear()


def _stamper(factory: Any) -> Any:
    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = factory(*args, **kwargs)
        if _stamped:
            record.__dict__.update(_stamped)
        return record

    return make


def fields_of(record: logging.LogRecord) -> dict[str, Any]:
    """The known per-update fields a record carries, bound ones first."""
    out = dict(_bound.get() or {})
    attrs = record.__dict__
    for name in FIELDS:
        value = attrs.get(name)
        if value is not None:
            out[name] = value
    return out


def _timestamp(record: logging.LogRecord) -> str:
    moment = datetime.datetime.fromtimestamp(record.created, datetime.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JSONFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the update fields, ``exc``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(fields_of(record))
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        line = json.dumps(entry, ensure_ascii=False, default=str)
        return redact.redact(line)


class TextFormatter(logging.Formatter):
    """``time LEVEL logger: message key=value ...`` then the traceback, if any."""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{_timestamp(record)} {record.levelname:<7} {record.name}: {record.getMessage()}"
        extra = fields_of(record)
        if extra:
            line += " " + " ".join(f"{k}={v}" for k, v in extra.items())
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line += "\n" + record.exc_text
        if record.stack_info:
            line += "\n" + record.stack_info
        return redact.redact(line)


def formatter(fmt: Format | str | None = None, stream: IO[str] | None = None) -> logging.Formatter:
    """The formatter ``fmt`` names, else ``TGSERVE_LOG_FORMAT``, else text on a terminal
    and JSON elsewhere."""
    fmt = fmt or os.environ.get(FORMAT_ENV, "").strip().lower() or None
    if fmt is None:
        stream = sys.stderr if stream is None else stream
        fmt = "text" if _isatty(stream) else "json"
    if fmt == "json":
        return JSONFormatter()
    if fmt == "text":
        return TextFormatter()
    raise ValueError(f"{FORMAT_ENV} must be 'json' or 'text', got {fmt!r}")


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler :func:`configure_logging` installs; replaced, never doubled, on a new call."""


def configure_logging(
    level: int | str | None = None,
    fmt: Format | str | None = None,
    stream: IO[str] | None = None,
) -> logging.Handler:
    """Send every record to ``stream`` (stderr) through tgserve's formatter, at ``level``
    (``TGSERVE_LOG_LEVEL``, else INFO). Called by the CLI; optional for library users.
    Calling it again replaces its own handler and leaves any other handler alone."""
    redact.install()
    level = level or os.environ.get(LEVEL_ENV, "").strip().upper() or logging.INFO
    if isinstance(level, str):
        level = level.upper()
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(old)
        old.close()
    handler = _Handler(stream if stream is not None else sys.stderr)
    handler.setFormatter(formatter(fmt, stream))
    root.addHandler(handler)
    root.setLevel(level)
    quiet = logging.WARNING if root.getEffectiveLevel() > logging.DEBUG else logging.NOTSET
    for name in QUIET:
        logging.getLogger(name).setLevel(quiet)
    return handler


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False

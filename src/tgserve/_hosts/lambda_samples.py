"""Sample Lambda events of every HTTP source (each source shapes its own), and a local
stand-in for Lambda's context.

Used by ``tgserve lambda event`` and ``tgserve lambda invoke``, and by tests that drive
the handler as Lambda would.
"""

from __future__ import annotations

import base64
import itertools
import time
import uuid
from collections.abc import Mapping
from typing import Any, Literal

from tgserve._hosts.lambda_events import ALB, EventSource, HttpV2, RestV1, Sample

Source = Literal["rest", "http", "http-v1", "url", "alb", "alb-multi"]
SOURCES: tuple[Source, ...] = ("rest", "http", "http-v1", "url", "alb", "alb-multi")
SOURCE_CLASSES: dict[Source, type[EventSource]] = {
    "rest": RestV1,
    "http-v1": RestV1,
    "http": HttpV2,
    "url": HttpV2,
    "alb": ALB,
    "alb-multi": ALB,
}
_counter = itertools.count(1)


class LocalContext:
    """What a handler reads from Lambda's context: a request id and the time left."""

    function_name = "tgserve-local"
    memory_limit_in_mb = 512

    def __init__(self, timeout: float = 30.0, request_id: str | None = None) -> None:
        self.aws_request_id = request_id or str(uuid.uuid4())
        self._ends = time.monotonic() + timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._ends - time.monotonic()) * 1000))


def _body(body: bytes, force_base64: bool) -> tuple[str, bool]:
    if not force_base64:
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode("ascii"), True


def event(
    source: Source,
    method: str,
    path: str,
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
    *,
    client: str = "149.154.167.220",
    stage: str | None = None,
    base64_body: bool = False,
) -> dict[str, Any]:
    """A real-shaped event of ``source`` carrying one HTTP request; the source's own class
    in :mod:`tgserve._hosts.lambda_events` shapes it.

    ``stage`` puts a named stage in front of the path where that source does (HTTP API);
    REST's ``path`` never carries it.
    """
    headers = dict(headers or {})
    if body:
        headers.setdefault("content-length", str(len(body)))
    text, encoded = _body(body, base64_body)
    n = next(_counter)
    request = Sample(
        method,
        path,
        headers,
        text,
        encoded,
        client,
        stage,
        f"c6af9ac6-7b61-11e6-9a41-{n:012d}",
        int(time.time() * 1000),
        source,
    )
    return SOURCE_CLASSES[source].sample(request)

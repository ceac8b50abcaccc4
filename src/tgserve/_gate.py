"""The gate: what an HTTP request is, decided the same way for every host, without I/O.

Two steps: :meth:`Gate.check_head` judges what the head decides (route, method, IP,
secret, declared size, content type) and either gives the verdict or asks for the body
(:class:`ReadBody`); :meth:`Gate.check_body` judges the body the host read. A verdict is
an :class:`Update`, a :class:`Query` (info, health, metrics), or an error :class:`Response`.
:mod:`tgserve._webhook` answers it.
"""

from __future__ import annotations

import dataclasses
import enum
import hmac
import ipaddress
import json
from collections.abc import Iterable, Mapping
from typing import Any

from tgserve import _jsonfast as jsonfast
from tgserve._config import RESERVED_PATHS, Config, Network

SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105 - a header name
JSON_HEADERS: tuple[tuple[str, str], ...] = (("content-type", "application/json"),)


@dataclasses.dataclass(frozen=True, slots=True)
class Request:
    """One HTTP request, host-independent. Header names are lower-case."""

    method: str
    path: str
    headers: Mapping[str, str] = dataclasses.field(default_factory=dict)
    body: bytes = b""
    client: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Response:
    """One HTTP answer, host-independent."""

    status: int
    body: bytes = b"{}"
    headers: tuple[tuple[str, str], ...] = JSON_HEADERS


def json_response(status: int, payload: Any, headers: tuple[tuple[str, str], ...] = ()) -> Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Response(status, body, JSON_HEADERS + headers)


def error(status: int, message: str, headers: tuple[tuple[str, str], ...] = ()) -> Response:
    return json_response(status, {"ok": False, "error": message}, headers)


OK = Response(200)
NOT_FOUND = error(404, "not found")


@dataclasses.dataclass(frozen=True, slots=True)
class Update:
    """A request that carries a valid update."""

    data: dict[str, Any]

    @property
    def update_id(self) -> int:
        return int(self.data["update_id"])


class Query(enum.Enum):
    """A request for what the runtime shows rather than an update."""

    INFO = "info"  # GET {path}
    HEALTHZ = "healthz"
    READYZ = "readyz"
    METRICS = "metrics"


QUERY_PATHS = dict(zip(RESERVED_PATHS, (Query.HEALTHZ, Query.READYZ, Query.METRICS), strict=True))


@dataclasses.dataclass(frozen=True, slots=True)
class ReadBody:
    """The head passed: read at most ``limit`` bytes of body, then :meth:`Gate.check_body`."""

    limit: int


Verdict = Update | Response | Query


@dataclasses.dataclass(frozen=True, slots=True)
class Unreadable:
    """What a host hands the gate when it could not read a request or its body (an event
    of no known shape, base64 that does not decode, a body that came too slowly): why, in
    one line. The gate answers it 400 (``close``: and asks to close the connection)."""

    reason: str
    close: bool = False


def unreadable(what: Unreadable) -> Response:
    """The gate's answer to a request or body a host could not read: 400, saying why."""
    return error(400, what.reason, (("connection", "close"),) if what.close else ())


def query_verdict(query: Query, method: str) -> Query | Response:
    """A reserved route's verdict (``/healthz``, ``/readyz``, ``/metrics``): the query for
    ``GET`` and ``HEAD``, else 405; the one rule of every host, one bot or many."""
    if method.upper() not in ("GET", "HEAD"):
        return error(405, "method not allowed", (("allow", "GET, HEAD"),))
    return query


class Gate:
    """Routing, secret, IP allow-list, size, content type and JSON checks."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._secret = config.secret_token.encode() if config.secret_token else None
        self._read_body = ReadBody(config.max_body_bytes)
        self._too_big = error(413, f"body over {config.max_body_bytes} bytes")
        self._previous = (config.previous_secret_token or "").encode()  # during a rotation

    def check_head(self, request: Request) -> ReadBody | Response | Query:
        """Decide what can be decided before the body is read, or ask for the body."""
        path = request.path.rstrip("/") or "/"
        method = request.method.upper()
        query = QUERY_PATHS.get(path)
        if query is not None:
            return query_verdict(query, method)
        if path != self.config.path:
            return NOT_FOUND
        if method in ("GET", "HEAD"):
            return Query.INFO
        if method != "POST":
            return error(405, "method not allowed", (("allow", "GET, HEAD, POST"),))
        if self.config.allowed_ips and not self._ip_allowed(request):
            return error(403, "client address not allowed")
        if self._secret is not None:
            given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
            if not hmac.compare_digest(given, self._secret) and not (
                self._previous and hmac.compare_digest(given, self._previous)
            ):
                return error(401, "wrong or missing secret token")
        length = request.headers.get("content-length")
        if length is not None:
            try:
                size = int(length)
            except ValueError:
                return error(400, "bad content-length")
            if size > self.config.max_body_bytes:
                return self._too_big
        ctype = request.headers.get("content-type", "application/json").split(";")[0].strip()
        if ctype and ctype.lower() != "application/json" and not ctype.lower().endswith("+json"):
            return error(415, "content type must be application/json")
        return self._read_body

    def check_body(self, body: bytes | Unreadable | None) -> Update | Response:
        """Judge the body a host read: ``None`` means it passed the limit, an
        :class:`Unreadable` says why the host could not read it."""
        if body is None or isinstance(body, Unreadable):
            return self._too_big if body is None else unreadable(body)
        if len(body) > self.config.max_body_bytes:
            return self._too_big
        return parse_update(body)

    def _ip_allowed(self, request: Request) -> bool:
        client = client_address(request, self.config.trusted_proxies)
        return client is not None and _in(client, self.config.allowed_ips)


def header_map(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Headers by lower-case name; a repeated header's values joined with ``", "`` in order
    (RFC 9110, 5.3). Every host builds its :class:`Request` headers by this one rule, so
    the IP allow-list reads the same ``X-Forwarded-For`` list on each."""
    out: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        seen = out.get(key)
        out[key] = value if seen is None else f"{seen}, {value}"
    return out


def parse_update(body: bytes) -> Update | Response:
    """Parse a webhook body into an :class:`Update`, or a 400 that says why not."""
    try:
        data = jsonfast.loads(body)
    except (ValueError, RecursionError):
        return error(400, "body is not valid JSON")
    return check_update(data)


def check_update(data: Any) -> Update | Response:
    """An :class:`Update`, or a 400 saying why ``data`` (a webhook's parsed body, or one
    item of a getUpdates answer) is not one."""
    if not isinstance(data, dict):
        return error(400, "body is not a JSON object")
    update_id = data.get("update_id")
    if type(update_id) is not int or not 0 <= update_id < 2**63:
        return error(400, "update_id missing or not a non-negative integer")
    return Update(data)


def client_address(request: Request, trusted: tuple[Network, ...]) -> str | None:
    """The client's address: the peer, or the right-most untrusted ``X-Forwarded-For`` hop
    when the peer is a trusted proxy."""
    peer = request.client
    if peer is None or not trusted or not _in(peer, trusted):
        return peer
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _in(hop, trusted):
            return hop
    return hops[0] if hops else peer


def _in(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return False
    return any(ip in net for net in networks)

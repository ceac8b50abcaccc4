"""Hypothesis strategies for hostile webhook requests: methods, paths, headers, bodies."""

from __future__ import annotations

import json
import string
from typing import Any

from hypothesis import strategies as st

from tests.conftest import SECRET

# docs/design.md's statuses: anything else (a 500 above all) is a bug.
ALLOWED = frozenset({200, 400, 401, 403, 404, 405, 413, 415, 503})
SECRET_HEADER = "x-telegram-bot-api-secret-token"
TOKEN_CHARS = string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~"
PRINTABLE = "".join(chr(c) for c in range(0x20, 0x7F))
MAX_BODY = 4096  # the hosts under fuzz run with max_body_bytes=4096

methods = st.sampled_from(
    ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "post", "Get"]
) | st.text(string.ascii_uppercase, min_size=1, max_size=12)
aimed_methods = st.sampled_from(["POST"] * 8 + ["post", "PUT"])

paths = st.sampled_from(
    ["/webhook", "/webhook/", "/webhook//", "/healthz", "/readyz", "/metrics", "/", "/WEBHOOK"]
) | st.builds(
    lambda parts: "/" + "/".join(parts),
    st.lists(st.text(string.ascii_letters + string.digits + "-._~%", max_size=20), max_size=5),
)

secrets = st.one_of(
    st.just(SECRET),
    st.just(SECRET + "x"),
    st.just(SECRET[:-1]),
    st.just(SECRET.upper()),
    st.text(string.ascii_letters + string.digits + "_-", max_size=300),
    st.text(PRINTABLE, max_size=40),
)

content_types = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "APPLICATION/JSON",
        "application/vnd.api+json",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "",
        ";",
        "application/json;;;",
    ]
) | st.text(PRINTABLE, max_size=60)

header_names = st.text(string.ascii_lowercase + "-", min_size=1, max_size=30).filter(
    lambda n: n not in ("content-length", "host", "transfer-encoding", "connection")
)
header_values = st.text(PRINTABLE, max_size=200) | st.builds(
    lambda c, n: c * n, st.sampled_from("ab,; "), st.integers(1000, 16000)
)


@st.composite
def headers(draw: st.DrawFn) -> dict[str, str]:
    out = draw(st.dictionaries(header_names, header_values, max_size=6))
    if draw(st.booleans()):
        out[SECRET_HEADER] = draw(secrets)
    if draw(st.booleans()):
        out["content-type"] = draw(content_types)
    if draw(st.integers(0, 9)) == 0:
        out["x-forwarded-for"] = draw(
            st.sampled_from(["1.2.3.4", "::1, 10.0.0.1", "garbage", "", "1.1.1.1," * 50])
        )
    return out


def _update(update_id: Any, extra: dict[str, Any]) -> dict[str, Any]:
    return {"update_id": update_id, **extra}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
update_ids = st.one_of(
    st.integers(0, 2**31),
    st.integers(-(2**70), 2**70),
    st.sampled_from([2**63, 2**63 - 1, -1, 10**400]),
    st.text(max_size=5),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=2),
)
messages = st.fixed_dictionaries(
    {
        "message_id": st.integers(0, 2**31),
        "date": st.integers(0, 2**31),
        "chat": st.fixed_dictionaries({"id": st.integers(-(2**52), 2**52)}) | json_values,
        "text": st.text(max_size=50),
    }
)


def _dump(value: Any) -> bytes:
    return json.dumps(value).encode()


def _nested(depth: int, kind: str) -> bytes:
    if kind == "list":
        return b"[" * depth + b"]" * depth
    return b'{"update_id": 1, "x": ' + b'{"a":' * depth + b"1" + b"}" * depth + b"}"


bodies = st.one_of(
    # updates: valid ones and ones with the wrong update_id type
    st.builds(lambda i, m: _dump(_update(i, {"message": m})), update_ids, messages),
    st.builds(
        lambda i, e: _dump(_update(i, e)),
        st.integers(0, 2**40),
        st.dictionaries(st.text(max_size=10), json_values, max_size=4),
    ),
    # any JSON at all
    st.builds(_dump, json_values),
    # truncated JSON
    st.builds(
        lambda i, m, cut: _dump(_update(i, {"message": m}))[:cut],
        st.integers(0, 2**31),
        messages,
        st.integers(0, 200),
    ),
    # deeply nested, huge numbers, non-UTF-8, raw bytes, too big
    st.builds(
        _nested, st.integers(1, 2040) | st.integers(1, 200_000), st.sampled_from(["list", "dict"])
    ),
    st.sampled_from(
        [
            b'{"update_id": 1e999999}',
            b'{"update_id": ' + b"9" * 5000 + b"}",
            b'{"update_id": 1, "n": ' + b"1" * 4000 + b"}",
            b'{"update_id": NaN}',
            b'{"update_id": 1, "update_id": "x"}',
            b"\xff\xfe{\x00}",
            b'{"update_id": 1, "t": "\xc3\x28"}',
            b'\xef\xbb\xbf{"update_id": 5}',
            b"",
            b"null",
            b"[]",
        ]
    ),
    st.binary(max_size=300),
    st.builds(
        lambda n: b'{"update_id": 7, "pad": "' + b"x" * n + b'"}',
        st.integers(MAX_BODY - 40, MAX_BODY * 3),
    ),
)


@st.composite
def aimed_headers(draw: st.DrawFn) -> dict[str, str]:
    """Headers that pass the secret check most of the time, so the body gets judged."""
    out = draw(headers())
    out[SECRET_HEADER] = SECRET if draw(st.integers(0, 5)) else draw(secrets)
    if draw(st.integers(0, 3)):
        out["content-type"] = draw(
            st.sampled_from(["application/json", "application/json; charset=utf-8"])
        )
    return out


# (method, path, headers, body): half aimed at POST {path}, half anything at all
requests = st.one_of(
    st.tuples(aimed_methods, st.sampled_from(["/webhook", "/webhook/"]), aimed_headers(), bodies),
    st.tuples(methods, paths, headers(), bodies),
)

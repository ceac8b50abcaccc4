"""Method parameters as the Bot API accepts them: typed JSON or strings from forms."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from tgserve.emulator._errors import bad_request


@dataclasses.dataclass(frozen=True, slots=True)
class Upload:
    """A file part of a multipart request."""

    filename: str
    content_type: str
    data: bytes


class Params:
    """Read access to one call's parameters with Telegram's coercions."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = dict(values)

    def __contains__(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, Upload):
            raise bad_request(f'field "{name}" must be a string')
        return value if isinstance(value, str) else json.dumps(value)

    def integer(self, name: str, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        try:
            return int(str(value))
        except ValueError:
            raise bad_request(f'field "{name}" must be an integer') from None

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        return str(value).lower() in ("true", "1")

    def json(self, name: str) -> Any:
        """A JSON-serialized parameter (reply_markup, entities, ...) as an object."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value

    def chat_id(self, name: str = "chat_id") -> int | str:
        value = self.values.get(name)
        if value is None or value == "":
            raise bad_request("chat_id is empty")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value)
        if text.lstrip("-").isdigit():
            return int(text)
        return text


async def read_params(request: Request) -> dict[str, Any]:
    """Parameters from the query string and a JSON, form or multipart body."""
    values: dict[str, Any] = dict(request.query_params)
    if request.method != "POST":
        return values
    ctype = request.headers.get("content-type", "").lower()
    if ctype.startswith("application/json"):
        body = await request.body()
        if body.strip():
            try:
                data = json.loads(body)
            except ValueError:
                raise bad_request("can't parse JSON object") from None
            if not isinstance(data, dict):
                raise bad_request("can't parse JSON object")
            values.update(data)
    elif ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        try:
            async with request.form(max_files=50, max_fields=1000) as form:
                for key, value in form.multi_items():
                    if isinstance(value, UploadFile):
                        data = await value.read()
                        ctype_part = value.content_type or "application/octet-stream"
                        values[key] = Upload(value.filename or key, ctype_part, data)
                    else:
                        values[key] = value
        except (MultiPartException, HTTPException):
            raise bad_request("can't parse the request body") from None
    return values


async def read_body(content_type: str, body: bytes) -> dict[str, Any]:
    """Parameters of a body held in memory (a webhook's answer), as :func:`read_params`."""
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "query_string": b"",
        "headers": [(b"content-type", content_type.encode("latin-1", "replace"))],
    }
    return await read_params(Request(scope, receive))

"""Files in messages: uploads and file_ids, and the Bot API objects that describe them."""

from __future__ import annotations

import struct

from tgserve.emulator.errors import bad_request
from tgserve.emulator.params import Params, Upload
from tgserve.emulator.state import JSON, StoredFile, World


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG, GIF or JPEG; (0, 0) when unknown."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    i = 2
    while data[:2] == b"\xff\xd8" and i + 9 < len(data):
        if data[i] != 0xFF:
            break
        marker, length = data[i + 1], struct.unpack(">H", data[i + 2 : i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return int(width), int(height)
        i += 2 + int(length)
    return 0, 0


def upload(world: World, p: Params, field: str, kind: str) -> StoredFile:
    """The file a bot passes in `field`: a new upload or a known file_id."""
    value = p.raw(field)
    if isinstance(value, str) and value.startswith("attach://"):
        value = p.raw(value.removeprefix("attach://"))
    if isinstance(value, Upload):
        name = value.filename or f"{kind}.bin"
        return world.store_file(value.data, kind, name, value.content_type)
    if isinstance(value, str) and value in world.files:
        return world.files[value]
    if value is None or value == "":
        raise bad_request(f"there is no {kind} in the request")
    raise bad_request("wrong file identifier/HTTP URL specified")


def photo_sizes(stored: StoredFile) -> list[JSON]:
    width, height = image_size(stored.data)
    return [
        {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "width": width,
            "height": height,
        }
    ]


def document(stored: StoredFile) -> JSON:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_name": stored.file_name,
        "mime_type": stored.mime_type,
        "file_size": len(stored.data),
    }

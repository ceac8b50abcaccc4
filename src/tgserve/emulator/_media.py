"""Files in messages: uploads and file_ids, and the Bot API objects that describe them."""

from __future__ import annotations

import mimetypes
import struct

from tgserve.emulator._errors import bad_request
from tgserve.emulator._params import Params, Upload
from tgserve.emulator._state import JSON, StoredFile, World


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
        mime = value.content_type
        if not mime or mime == "application/octet-stream":  # what clients send by default
            mime = guess_mime(value.data, name)
        return world.store_file(value.data, kind, name, mime)
    if isinstance(value, str) and value in world.files:
        return world.files[value]
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        # Telegram would download it; offline, the emulator keeps the URL's name, no bytes
        name = value.rsplit("/", 1)[-1].split("?", 1)[0] or f"{kind}.bin"
        return world.store_file(b"", kind, name, guess_mime(b"", name))
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


DICE = {"🎲": 6, "🎯": 6, "🎳": 6, "🏀": 5, "⚽": 5, "🎰": 64}  # emoji -> highest value

_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"OggS", "audio/ogg"),
    (b"ID3", "audio/mpeg"),
    (b"\x1aE\xdf\xa3", "video/webm"),
)


def guess_mime(data: bytes, file_name: str = "", default: str = "application/octet-stream") -> str:
    """The MIME type of `data` from its first bytes, else from `file_name`, else `default`."""
    for magic, mime in _SIGNATURES:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        return "video/mp4"
    return mimetypes.guess_type(file_name)[0] or default


def _base(stored: StoredFile) -> JSON:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.data),
    }


def media_object(stored: StoredFile, kind: str, p: Params | None = None) -> JSON:
    """The Bot API object for a file sent as `kind` (video, audio, voice, animation, ...)."""
    if kind == "photo":
        return {"photo": photo_sizes(stored)}
    if kind == "document":
        return {"document": document(stored)}
    width, height = image_size(stored.data)
    duration = (p.integer("duration") if p is not None else None) or 0
    obj = _base(stored)
    if kind in ("video", "animation"):
        obj.update(
            width=(p.integer("width") if p else None) or width,
            height=(p.integer("height") if p else None) or height,
            duration=duration,
            file_name=stored.file_name,
            mime_type=stored.mime_type,
        )
    elif kind == "audio":
        obj.update(duration=duration, file_name=stored.file_name, mime_type=stored.mime_type)
        for field in ("performer", "title"):
            value = p.text(field) if p is not None else None
            if value:
                obj[field] = value
    elif kind == "voice":
        obj.update(duration=duration, mime_type=stored.mime_type)
    elif kind == "video_note":
        obj.update(length=(p.integer("length") if p else None) or width, duration=duration)
    elif kind == "sticker":
        obj.update(
            width=width or 512,
            height=height or 512,
            type="regular",
            is_animated=stored.mime_type == "application/x-tgsticker",
            is_video=stored.mime_type == "video/webm",
        )
        emoji = p.text("emoji") if p is not None else None
        if emoji:
            obj["emoji"] = emoji
    else:
        raise ValueError(f"unknown media kind {kind}")
    content: JSON = {kind: obj}
    if kind == "animation":  # Telegram also describes an animation as a document
        content["document"] = document(stored)
    return content

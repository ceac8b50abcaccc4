"""Reading a broadcast's recipients: one chat id per line."""

from __future__ import annotations

from pathlib import Path


class ChatsError(ValueError):
    """The chats file is unusable; the message is one line naming the file and line."""


def read_chats(path: str | Path) -> list[int]:
    """Chat ids in file order. Blank lines and ``#`` comments are skipped; a line that is
    not an integer, or a chat listed twice, is refused with its line number."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ChatsError(f"{path}: cannot read the chats file ({exc.__class__.__name__})") from None
    seen: dict[int, int] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            chat = int(line)
        except ValueError:
            raise ChatsError(f"{path}:{number}: {line[:40]!r} is not a numeric chat id") from None
        if chat in seen:
            raise ChatsError(
                f"{path}:{number}: chat {chat} is listed twice (first on line {seen[chat]})"
            )
        seen[chat] = number
    if not seen:
        raise ChatsError(f"{path}: no chat ids in the file")
    return list(seen)

"""parse_mode: HTML, MarkdownV2 and Markdown to plain text plus entities (UTF-16 offsets)."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from typing import Any

from tgserve.emulator._errors import ApiError, bad_request

Entity = dict[str, Any]

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
}


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _cant_parse(detail: str) -> ApiError:
    return bad_request(f"can't parse entities: {detail}")


class _HtmlToEntities(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text = ""
        self.entities: list[Entity] = []
        self.stack: list[tuple[str, Entity]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        kind = _HTML_TAGS.get(tag)
        if kind is None:
            raise _cant_parse(f'Unsupported start tag "{tag}" at byte offset {self.getpos()[1]}')
        entity: Entity = {"type": kind, "offset": utf16_len(self.text)}
        values = dict(attrs)
        if tag == "a":
            entity["url"] = values.get("href") or ""
        if tag == "code" and self.stack and self.stack[-1][0] == "pre":
            language = (values.get("class") or "").removeprefix("language-")
            if language:
                self.stack[-1][1]["language"] = language
            self.stack.append((tag, {}))
            return
        self.stack.append((tag, entity))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1][0] != tag:
            raise _cant_parse(f'Unmatched end tag "{tag}"')
        _, entity = self.stack.pop()
        if entity:
            entity["length"] = utf16_len(self.text) - entity["offset"]
            if entity["length"] > 0:
                self.entities.append(entity)

    def handle_data(self, data: str) -> None:
        self.text += data


def parse_html(source: str) -> tuple[str, list[Entity]]:
    parser = _HtmlToEntities()
    parser.feed(source)
    parser.close()
    if parser.stack:
        raise _cant_parse(f'Can\'t find end tag corresponding to start tag "{parser.stack[-1][0]}"')
    return parser.text, sorted(parser.entities, key=lambda e: e["offset"])


_MD2_MARKS = [
    ("```", "pre"),
    ("||", "spoiler"),
    ("__", "underline"),
    ("*", "bold"),
    ("_", "italic"),
    ("~", "strikethrough"),
    ("`", "code"),
]
_MD1_MARKS = [("```", "pre"), ("*", "bold"), ("_", "italic"), ("`", "code")]
_LINK = re.compile(r"\[((?:[^\]\\]|\\.)*)\]\(((?:[^)\\]|\\.)*)\)")


def parse_markdown(source: str, v2: bool) -> tuple[str, list[Entity]]:
    marks = _MD2_MARKS if v2 else _MD1_MARKS
    out = ""
    entities: list[Entity] = []
    open_: list[tuple[str, Entity]] = []
    i = 0
    while i < len(source):
        char = source[i]
        if v2 and char == "\\" and i + 1 < len(source):
            out += source[i + 1]
            i += 2
            continue
        link = _LINK.match(source, i) if char == "[" else None
        if link is not None:
            label = re.sub(r"\\(.)", r"\1", link.group(1))
            url = re.sub(r"\\(.)", r"\1", link.group(2))
            entities.append(
                {
                    "type": "text_link",
                    "offset": utf16_len(out),
                    "length": utf16_len(label),
                    "url": url,
                }
            )
            out += label
            i = link.end()
            continue
        for mark, kind in marks:
            if source.startswith(mark, i):
                if open_ and open_[-1][0] == mark:
                    _, entity = open_.pop()
                    entity["length"] = utf16_len(out) - entity["offset"]
                    if entity["length"] > 0:
                        entities.append(entity)
                else:
                    open_.append((mark, {"type": kind, "offset": utf16_len(out)}))
                i += len(mark)
                if kind in ("pre", "code") and open_ and open_[-1][0] == mark:
                    end = source.find(mark, i)
                    if end < 0:
                        raise _cant_parse(f"Can't find end of {kind} entity")
                    body = source[i:end]
                    if kind == "pre" and "\n" in body:
                        first, rest = body.split("\n", 1)
                        if first.strip() and " " not in first.strip():
                            open_[-1][1]["language"] = first.strip()
                            body = rest
                    out += body
                    i = end
                break
        else:
            if v2 and char in "_*[]()~`>#+-=|{}.!":
                raise _cant_parse(
                    f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
                )
            out += char
            i += 1
    if open_:
        raise _cant_parse(f"Can't find end of {open_[-1][1]['type']} entity")
    return out, sorted(entities, key=lambda e: e["offset"])


def apply_parse_mode(text: str, parse_mode: str | None) -> tuple[str, list[Entity]]:
    """Plain text and entities for `text` written in `parse_mode` (None: as is)."""
    if not parse_mode:
        return text, []
    mode = parse_mode.lower()
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return parse_markdown(text, v2=True)
    if mode == "markdown":
        return parse_markdown(text, v2=False)
    raise bad_request(f"unsupported parse_mode {html.escape(parse_mode)}")


_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
_URL = re.compile(r"https?://[^\s]+")
_MENTION = re.compile(r"(?<![\w@])@[A-Za-z][A-Za-z0-9_]{4,31}\b")


def detect_entities(text: str) -> list[Entity]:
    """The entities Telegram adds to a user's plain text: bot commands, @mentions, URLs."""
    found: list[Entity] = []
    for match in _COMMAND.finditer(text):
        if match.start() == 0 or text[match.start() - 1].isspace():
            found.append(
                {
                    "type": "bot_command",
                    "offset": utf16_len(text[: match.start()]),
                    "length": utf16_len(match.group(0)),
                }
            )
    for match in _MENTION.finditer(text):
        found.append(
            {
                "type": "mention",
                "offset": utf16_len(text[: match.start()]),
                "length": utf16_len(match.group(0)),
            }
        )
    for match in _URL.finditer(text):
        found.append(
            {
                "type": "url",
                "offset": utf16_len(text[: match.start()]),
                "length": utf16_len(match.group(0)),
            }
        )
    return sorted(found, key=lambda e: e["offset"])

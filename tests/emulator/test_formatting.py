"""parse_mode to text and entities, with UTF-16 offsets as Telegram counts them."""

from __future__ import annotations

import html

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tgserve.emulator._errors import ApiError
from tgserve.emulator._formatting import apply_parse_mode, detect_entities, utf16_len


def test_html() -> None:
    text, entities = apply_parse_mode(
        '<b>bold <i>both</i></b> <a href="https://x.test">link</a> &lt;tag&gt; '
        '<pre><code class="language-python">x = 1</code></pre>',
        "HTML",
    )
    assert text == "bold both link <tag> x = 1"
    assert entities == [
        {"type": "bold", "offset": 0, "length": 9},
        {"type": "italic", "offset": 5, "length": 4},
        {"type": "text_link", "offset": 10, "length": 4, "url": "https://x.test"},
        {"type": "pre", "offset": 21, "length": 5, "language": "python"},
    ]


def test_utf16_offsets() -> None:
    text, entities = apply_parse_mode("😀 <b>hi</b>", "HTML")
    assert text == "😀 hi" and entities == [{"type": "bold", "offset": 3, "length": 2}]
    assert utf16_len("😀") == 2


def test_markdown_v2_and_legacy() -> None:
    text, entities = apply_parse_mode(
        r"*b* _i_ __u__ ~s~ ||sp|| `c` [l](https://x\.y) 1\.5", "MarkdownV2"
    )
    assert text == "b i u s sp c l 1.5"
    assert [e["type"] for e in entities] == [
        "bold", "italic", "underline", "strikethrough", "spoiler", "code", "text_link",
    ]  # fmt: skip
    assert entities[-1]["url"] == "https://x.y"
    text, entities = apply_parse_mode("*b* _i_ 1.5!", "Markdown")
    assert text == "b i 1.5!" and len(entities) == 2


@pytest.mark.parametrize(
    ("source", "mode"),
    [
        ("<b>open", "HTML"),
        ("<blink>x</blink>", "HTML"),
        ("a.b", "MarkdownV2"),
        ("*open", "Markdown"),
    ],
)
def test_parse_errors(source: str, mode: str) -> None:
    with pytest.raises(ApiError) as info:
        apply_parse_mode(source, mode)
    assert info.value.code == 400
    assert info.value.description.startswith("Bad Request: can't parse entities")


def test_user_text_entities() -> None:
    assert detect_entities("/start@test_bot now https://a.b") == [
        {"type": "bot_command", "offset": 0, "length": 15},
        {"type": "url", "offset": 20, "length": 11},
    ]
    assert detect_entities("a/b") == []


@given(st.text(max_size=40))
def test_escaped_html_round_trips(raw: str) -> None:
    text, entities = apply_parse_mode(html.escape(raw, quote=False), "HTML")
    assert entities == []
    assert text == raw.replace("\r\n", "\n").replace("\r", "\n") or text == raw

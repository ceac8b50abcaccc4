"""docs/design.md lists every option: each Config field a row of its options table, with the
environment variable ENV_VARS gives it (none where it has none), and every other variable
tgserve reads named on the page; and every public name, ``tgserve.__all__``."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import tgserve
from tgserve import _logs
from tgserve._config import ENV_VARS, Config

DESIGN = Path(__file__).resolve().parents[2] / "docs" / "design.md"
ROW = re.compile(r"^\| `(\w+)` \| (?:`(\w+)`)? *\| ([^|]*) \|", re.MULTILINE)


def _section(title: str) -> str:
    text = DESIGN.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def _rows() -> dict[str, tuple[str, str]]:
    """option -> (env var or "", default cell) from the "Options" section's table."""
    return {m[1]: (m[2] or "", m[3].strip()) for m in ROW.finditer(_section("Options"))}


def test_every_config_field_is_a_row_of_the_options_table() -> None:
    fields = {f.name for f in dataclasses.fields(Config)}
    rows = _rows()
    assert not fields - set(rows), f"add to docs/design.md's options: {sorted(fields - set(rows))}"
    assert not set(rows) - fields, f"not options (any more): {sorted(set(rows) - fields)}"


def test_each_row_names_the_environment_variable_config_reads() -> None:
    for name, (env, _) in _rows().items():
        assert env == ENV_VARS.get(name, ""), (
            f"docs/design.md: option {name} is read from {ENV_VARS.get(name) or 'no variable'}, "
            f"the page says {env or 'none'}"
        )


def test_plain_number_defaults_are_the_config_defaults() -> None:
    defaults = {f.name: f.default for f in dataclasses.fields(Config)}
    for name, (_, default) in _rows().items():
        if re.fullmatch(r"\d+(\.\d+)?", default):
            assert float(default) == defaults[name], (
                f"docs/design.md: {name} defaults to {defaults[name]}, the page says {default}"
            )


def test_the_variables_read_outside_config_are_named() -> None:
    text = DESIGN.read_text(encoding="utf-8")
    for var in (_logs.LEVEL_ENV, _logs.FORMAT_ENV):
        assert f"`{var}`" in text, f"docs/design.md does not name {var}"


def test_every_public_name_is_on_the_page() -> None:
    text = DESIGN.read_text(encoding="utf-8")
    missing = sorted(n for n in tgserve.__all__ if f"tgserve.{n}" not in text)
    assert not missing, f"docs/design.md does not name: {missing}"

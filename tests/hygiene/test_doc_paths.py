"""The docs point only at what exists in the repository, and the user docs only at public
names: a private module (``tgserve._x``, ``_x.py``) is named only in the contributors' pages,
docs/architecture.md (the map of the source) and docs/benchmarks.md (where the time goes,
by source file)."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
CONTRIBUTORS = {"architecture.md", "benchmarks.md"}
USER_DOCS = [d for d in DOCS if d.name not in CONTRIBUTORS]
SOURCE = [
    p.relative_to(ROOT).as_posix()
    for d in ("src", "tests", "bench")
    for p in (ROOT / d).rglob("*.py")
]

REPO_PATH = re.compile(r"(?<![\w./:<-])((?:src|tests|bench|scripts|examples|deploy|docs)/[\w./-]*)")
PY_NAME = re.compile(r"(?<![\w./-])([\w/]*\w\.py)\b")
PRIVATE_DOTTED = re.compile(r"\btgserve\.(?:\w+\.)*_[a-z]\w*")
MD_NAME = re.compile(r"(?<![\w./-])([\w-]+\.md)\b")  # a page named bare: design.md, README.md
PRIVATE_FILE = re.compile(r"(?<![\w.-])(?:[\w.-]+/)*_[a-z]\w*\.py\b")


def _name(doc: Path) -> str:
    return doc.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("doc", DOCS, ids=_name)
def test_every_repository_path_named_exists(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    missing = sorted(
        {
            path
            for m in REPO_PATH.finditer(text)
            if not (ROOT / (path := m[1].split("::")[0].rstrip(".,:;"))).exists()
        }
    )
    assert not missing, f"{_name(doc)} names paths that do not exist: {missing}"


@pytest.mark.parametrize("doc", [ROOT / "docs" / n for n in sorted(CONTRIBUTORS)], ids=_name)
def test_every_source_file_and_private_module_the_contributor_docs_name_exists(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    files = {m[1] for m in PY_NAME.finditer(text)}
    missing = sorted(
        f
        for f in files
        if not (ROOT / f).exists() and not any(s.endswith("/" + f.lstrip("/")) for s in SOURCE)
    )
    assert not missing, f"{_name(doc)} names source files that do not exist: {missing}"
    for dotted in sorted({m[0] for m in PRIVATE_DOTTED.finditer(text)}):
        module, _, attr = dotted.rpartition(".")
        try:
            importlib.import_module(dotted)
        except ImportError:
            assert hasattr(importlib.import_module(module), attr), f"{_name(doc)}: {dotted}"


@pytest.mark.parametrize("doc", USER_DOCS, ids=_name)
def test_user_docs_name_no_private_module(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    private = sorted({m[0] for m in PRIVATE_DOTTED.finditer(text)})
    private += sorted({m[0] for m in PRIVATE_FILE.finditer(text)})
    assert not private, f"{_name(doc)} names private modules (use public names): {private}"


@pytest.mark.parametrize("doc", DOCS, ids=_name)
def test_no_doc_points_outside_the_repository(doc: Path) -> None:
    """Every page a doc names is one of the repository's (the contract is docs/design.md,
    not a file kept elsewhere), and no path outside the repository is named."""
    text = doc.read_text(encoding="utf-8")
    pages = {m[1] for m in MD_NAME.finditer(text)}
    elsewhere = sorted(p for p in pages if not any((d / p).exists() for d in (ROOT, ROOT / "docs")))
    assert not elsewhere, f"{_name(doc)} names pages not in the repository: {elsewhere}"
    assert "/work/" not in text, f"{_name(doc)} names a path outside the repository"

"""The public surface: ``tgserve.__all__`` is complete and sorted, and every name resolves
to the object its stable home defines (httpx's style)."""

from __future__ import annotations

import ast
import importlib
import inspect

import tgserve
import tgserve.testing


def test_all_is_sorted_and_matches_the_lazy_table() -> None:
    assert tgserve.__all__ == sorted(tgserve.__all__)
    assert set(tgserve.__all__) == set(tgserve._EXPORTS)


def test_no_public_name_is_left_out_of_all() -> None:
    # submodules become attributes once imported; they are not names tgserve exports
    names = {n for n, v in vars(tgserve).items() if not inspect.ismodule(v)}
    public = {n for n in names if not n.startswith("_")} - {"annotations"}
    assert public <= set(tgserve.__all__)
    listed = {n for n in dir(tgserve) if not n.startswith("_")} - {"annotations"}
    assert {n for n in listed if not inspect.ismodule(getattr(tgserve, n))} == set(tgserve.__all__)


def test_type_checking_imports_name_the_same_places() -> None:
    tree = ast.parse(inspect.getsource(tgserve))
    seen: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom) and stmt.module is not None
                seen.update({alias.name: stmt.module for alias in stmt.names})
    assert seen == tgserve._EXPORTS


def test_every_name_resolves_to_its_home() -> None:
    for name, module in tgserve._EXPORTS.items():
        assert getattr(tgserve, name) is getattr(importlib.import_module(module), name)


def test_testing_helpers_have_a_stable_surface() -> None:
    assert tgserve.testing.__all__ == sorted(tgserve.testing.__all__)
    for name in tgserve.testing.__all__:
        assert getattr(tgserve.testing, name) is not None

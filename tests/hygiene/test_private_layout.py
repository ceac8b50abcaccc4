"""The public surface is a short list; every other module is private (docs/architecture.md,
"Public surface and test layout")."""

from __future__ import annotations

from pathlib import Path

import tgserve

ROOT = Path(tgserve.__file__).parent
PUBLIC_MODULES = {"__init__.py", "__main__.py", "testing.py"}
PUBLIC_PACKAGES = {"state", "limits", "broadcast", "emulator", "cli"}


def test_top_level_modules_and_subpackages_are_private_but_the_public_surface() -> None:
    public = {p.name for p in ROOT.iterdir() if not p.name.startswith("_")}
    modules = {n for n in public if n.endswith(".py")}
    packages = {n for n in public if (ROOT / n / "__init__.py").exists()}
    assert modules <= PUBLIC_MODULES, f"make these private: {sorted(modules - PUBLIC_MODULES)}"
    assert packages <= PUBLIC_PACKAGES, f"make these private: {sorted(packages - PUBLIC_PACKAGES)}"


def test_modules_inside_public_packages_are_private() -> None:
    for package in sorted(PUBLIC_PACKAGES):
        for path in (ROOT / package).iterdir():
            if path.name.startswith("_") or path.name == "__pycache__":
                continue
            assert not path.name.endswith(".py"), f"{package}/{path.name}: name it _{path.name}"
            assert not (path / "__init__.py").exists(), (
                f"{package}/{path.name}/ is a public package"
            )


def test_the_public_packages_import_and_say_what_they_export() -> None:
    import importlib

    for package in sorted(PUBLIC_PACKAGES):
        module = importlib.import_module(f"tgserve.{package}")
        for name in getattr(module, "__all__", []):
            assert hasattr(module, name), f"tgserve.{package}.{name} is listed but missing"

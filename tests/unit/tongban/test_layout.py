"""Our flat top-level packages must be ours: PyPI has unrelated `config`, `signing`,
`store` and `audit` distributions that would shadow them if installed."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ["config", "keys", "store", "audit", "idp", "signing", "licences", "tongban"]


@pytest.mark.parametrize("name", PACKAGES)
def test_package_resolves_inside_the_project(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__file__ is not None
    assert Path(module.__file__).resolve().parent == ROOT / name


@pytest.mark.parametrize("name", ["config", "store", "audit"])
def test_public_surface_is_pinned(name: str) -> None:
    module = importlib.import_module(name)
    exported = set(module.__all__)
    public = {
        n for n in vars(module) if (not n.startswith("_") and n[0].isupper()) or n in exported
    }
    assert exported <= set(vars(module))
    assert {n for n in public if not isinstance(vars(module)[n], type(module))} <= exported

"""The public surface of the identity packages is pinned (httpx's test_exported_members)."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize("name", ["idp.identity", "idp.authn", "idp.registry"])
def test_all_names_exist_and_nothing_public_is_left_out(name: str) -> None:
    module = importlib.import_module(name)
    exported = set(module.__all__)
    assert exported <= set(vars(module))
    public = {n for n in vars(module) if not n.startswith("_") and n[0].isupper()}
    modules = {n for n in public if isinstance(vars(module)[n], type(module))}
    assert public - modules <= exported

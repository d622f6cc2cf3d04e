"""Each licences module names its public surface in ``__all__`` (httpx's exported-members test)."""

from __future__ import annotations

import importlib
import inspect

import pytest

MODULES = [
    "licences.claims",
    "licences.codec",
    "licences.cose_sign1",
    "licences.decimal_digits",
    "licences.deterministic_cbor",
    "licences.offline",
    "licences.public_keys",
    "licences.qr",
    "licences.record_digest",
    "licences.status_list",
    "licences.trust_list",
]


@pytest.mark.parametrize("name", MODULES)
def test_all_lists_exactly_the_public_definitions(name: str) -> None:
    module = importlib.import_module(name)
    exported = set(module.__all__)
    assert all(hasattr(module, member) for member in exported)
    defined_here = {
        member
        for member, value in vars(module).items()
        if not member.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and value.__module__ == name
    }
    assert defined_here <= exported, defined_here - exported


def test_the_licence_package_is_ours() -> None:
    # PyPI has unrelated distributions with short names; this one must be the project's.
    import licences

    assert licences.__file__ is not None
    assert licences.__file__.endswith("licences/__init__.py")
    assert "site-packages" not in licences.__file__

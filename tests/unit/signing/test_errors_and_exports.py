"""Error codes are stable and distinct; the public surface is pinned."""

from __future__ import annotations

import re
from typing import Any

import keys.pki
import signing.errors
import signing.pades
from keys.pki import errors as pki_errors


def _error_classes(module: object, base: type[Exception]) -> list[Any]:
    return [
        value
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, base)
    ]


def test_every_error_has_its_own_snake_case_code() -> None:
    classes = _error_classes(signing.errors, signing.errors.SigningError) + _error_classes(
        pki_errors, pki_errors.PKIError
    )
    codes = [cls.code for cls in classes]
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", code) for code in codes)


def test_public_message_and_private_detail() -> None:
    error = signing.errors.PDFUnreadable(detail="xref offset 1234 points nowhere")
    assert str(error) == signing.errors.PDFUnreadable.public_message
    assert "1234" not in str(error)
    assert error.detail == "xref offset 1234 points nowhere"
    assert error.code == "pdf_unreadable"


def test_approval_errors_carry_the_field() -> None:
    error = signing.errors.ApprovalDataInvalid("body[2]", "must not be empty")
    assert error.field == "body[2]"
    assert str(error) == "body[2]: must not be empty"


def test_exported_members() -> None:
    for module in (signing.errors, signing.pades, keys.pki):
        public = {name for name in dir(module) if not name.startswith("_")}
        exported = set(module.__all__)
        assert exported <= public
        assert {n for n in public if n[0].isupper()} <= exported | {
            "ClassVar",
            "TongbanError",
            "KeysError",
        }

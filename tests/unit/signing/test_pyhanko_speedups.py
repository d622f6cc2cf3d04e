"""The faster hex-string reader and the remembering signature check behave as pyHanko's."""

from __future__ import annotations

import io

import pytest
from asn1crypto import algos
from asn1crypto import keys as asn1_keys
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils import misc

from signing.pades import _hex_strings
from signing.pades._reuse import RememberingSignatureValidator

CASES = [
    b"<48656c6c6f>",
    b"<48 65 6C\n6c\t6f>",
    b"<4865 6c6c 6>",
    b"<>",
    b"<" + b"ab" * 20000 + b">",
    b"<48%comment\n65>",
]


@pytest.mark.parametrize("data", CASES, ids=range(len(CASES)))
def test_hex_strings_read_as_pyhanko_reads_them(data: bytes) -> None:
    ours, theirs = io.BytesIO(data + b" /Next"), io.BytesIO(data + b" /Next")
    assert _hex_strings.read_hex_string(ours) == _hex_strings._original(theirs)
    assert ours.tell() == theirs.tell() == len(data)


@pytest.mark.parametrize("data", [b"<48 6x>", b"<4865"], ids=["bad-digit", "unterminated"])
def test_bad_hex_strings_fail_as_in_pyhanko(data: bytes) -> None:
    with pytest.raises(misc.PdfReadError):
        _hex_strings.read_hex_string(io.BytesIO(data))


def test_the_reader_is_installed() -> None:
    assert generic.read_hex_string_from_stream is _hex_strings.read_hex_string


def test_remembered_signatures_are_only_valid_ones() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    public = asn1_keys.PublicKeyInfo.load(
        key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    algorithm = algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"})
    validator = RememberingSignatureValidator()
    data = b"tbs certificate"
    signature = key.sign(data, ec.ECDSA(hashes.SHA256()))
    validator.validate_signature(signature, data, public, algorithm)
    validator.validate_signature(signature, data, public, algorithm)  # remembered
    for _ in range(2):
        with pytest.raises(InvalidSignature):
            validator.validate_signature(signature, b"other data", public, algorithm)

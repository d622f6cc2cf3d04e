"""The published test vectors in tests/vectors/licences still hold, positive and negative.

These files are what other verifier implementations test against (docs/licence-qr-format.md);
a change here is a change of the format.
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from typing import Any

import pytest
from licence_support import example_claims
from licence_support import fixed_signer
from licence_support import load_vector

from licences import codec
from licences import cose_sign1
from licences.decimal_digits import decode_digits
from licences.errors import CredentialError
from licences.public_keys import TrustedKey
from licences.trust_list import parse_root_keys
from licences.trust_list import verify_trust_list

CREDENTIALS = load_vector("credentials.json")
TRUST_LIST = load_vector("trust-list.json")
NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def vector_trust() -> dict[bytes, TrustedKey]:
    roots = parse_root_keys(TRUST_LIST["roots"])
    return dict(verify_trust_list(TRUST_LIST["token"], roots=roots, now=NOW).by_cose_kid)


def test_claims_in_the_vector_are_the_example_licence() -> None:
    claims = example_claims()
    described = CREDENTIALS["claims"]
    assert described["record_digest_hex"] == claims.record_digest.hex()
    assert described["status_index"] == claims.status.index
    assert CREDENTIALS["claims_cbor_hex"] == claims.to_cwt_bytes().hex()


@pytest.mark.parametrize("vector", CREDENTIALS["positive"], ids=lambda v: v["name"])
def test_positive_vectors_verify(
    vector: dict[str, Any], vector_trust: dict[bytes, TrustedKey]
) -> None:
    verified = codec.verify(vector["url"], vector_trust)
    assert verified.key.kid == fixed_signer(vector["key"]).kid
    expected = example_claims()
    assert (verified.claims.licence_id, verified.claims.holder_name) == (
        expected.licence_id,
        expected.holder_name,
    )
    if "cose_hex" in vector:
        digits = codec.extract_digits(vector["url"])
        assert decode_digits(digits[2:]).hex() == vector["cose_hex"]


def test_eddsa_vector_is_reproduced_byte_for_byte() -> None:
    vector = next(v for v in CREDENTIALS["positive"] if v["exact"])
    url = codec.encode(example_claims(), fixed_signer(vector["key"]), CREDENTIALS["base_url"])
    assert url == vector["url"]
    message = cose_sign1.parse_sign1(bytes.fromhex(vector["cose_hex"]))
    assert message.to_be_signed(codec.EXTERNAL_AAD).hex() == vector["to_be_signed_hex"]


@pytest.mark.parametrize("vector", CREDENTIALS["negative"], ids=lambda v: v["name"])
def test_negative_vectors_fail_with_their_code(
    vector: dict[str, Any], vector_trust: dict[bytes, TrustedKey]
) -> None:
    with pytest.raises(CredentialError) as caught:
        codec.verify(vector["input"], vector_trust)
    assert caught.value.code == vector["expect"]


def test_every_error_code_has_a_negative_vector() -> None:
    codes = {vector["expect"] for vector in CREDENTIALS["negative"]}
    assert codes == {
        "tampered",
        "truncated",
        "oversized",
        "untrusted_key",
        "wrong_alg",
        "bad_version",
        "key_expired",
        "malformed",
    }

"""Fuzzing the credential decoder: only codec errors come out, and nothing forged verifies."""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from licence_support import SoftwareSigner
from licence_support import example_claims
from licence_support import example_licence
from licence_support import fixed_signer
from licence_support import trusted_key

from licences import codec
from licences import cose_sign1
from licences import decimal_digits
from licences import deterministic_cbor
from licences.errors import CredentialError

SIGNERS = [fixed_signer("licence-es256"), fixed_signer("licence-eddsa")]
TRUST = {key.cose_kid: key for key in map(trusted_key, SIGNERS)}
TRUST_KID = {key.kid: key.cose_kid for key in TRUST.values()}
CLAIMS = example_claims()
BASE_URL = example_licence()["credential"]["base_url"]
GENUINE = [codec.encode(CLAIMS, signer, BASE_URL) for signer in SIGNERS]
MESSAGES = [decimal_digits.decode_digits(codec.extract_digits(url)[2:]) for url in GENUINE]
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check(content: str | bytes) -> None:
    """The two properties every input must have."""
    with contextlib.suppress(CredentialError):
        codec.decode(content)
    try:
        verified = codec.verify(content, TRUST)
    except CredentialError:
        return
    # Only the genuine credentials are signed by trusted keys, so anything that verifies
    # must carry exactly their claims.
    assert verified.claims == CLAIMS


def as_credential(message: bytes) -> str:
    return "01" + decimal_digits.encode_digits(message)


@FUZZ
@given(st.text(max_size=2000))
def test_arbitrary_text(text: str) -> None:
    check(text)


@FUZZ
@given(st.binary(max_size=2000))
def test_arbitrary_bytes(data: bytes) -> None:
    check(data)


@FUZZ
@given(st.binary(max_size=600))
def test_arbitrary_bytes_as_a_version_01_payload(data: bytes) -> None:
    check(as_credential(data))
    check(BASE_URL + as_credential(data))
    check(as_credential(b"\xd2" + data))


@FUZZ
@given(st.text("0123456789", max_size=1300))
def test_arbitrary_digits(digits: str) -> None:
    check(digits)
    check("01" + digits)


@FUZZ
@given(
    st.sampled_from(MESSAGES),
    st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), min_size=1, max_size=4),
)
def test_byte_substitutions_of_genuine_messages(
    message: bytes, edits: list[tuple[int, int]]
) -> None:
    changed = bytearray(message)
    for position, value in edits:
        changed[position % len(changed)] = value
    check(as_credential(bytes(changed)))


@FUZZ
@given(st.sampled_from(MESSAGES), st.integers(0, 400), st.binary(min_size=1, max_size=8))
def test_insertions_into_genuine_messages(message: bytes, position: int, data: bytes) -> None:
    position %= len(message) + 1
    check(as_credential(message[:position] + data + message[position:]))


@FUZZ
@given(st.sampled_from(MESSAGES), st.integers(0, 400), st.integers(1, 40))
def test_deletions_from_genuine_messages(message: bytes, position: int, count: int) -> None:
    position %= len(message)
    check(as_credential(message[:position] + message[position + count :]))


@FUZZ
@given(st.sampled_from(GENUINE), st.integers(0, 900), st.text(max_size=5))
def test_text_edits_of_genuine_urls(url: str, position: int, text: str) -> None:
    position %= len(url) + 1
    check(url[:position] + text + url[position:])
    check(url[:position] + url[position + len(text) :])


_cbor_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**64), 2**64 - 1)
    | st.binary(max_size=40)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.integers(-70000, 70000) | st.text(max_size=12), inner, max_size=8)
    ),
    max_leaves=20,
)


@FUZZ
@given(
    _cbor_values,
    st.dictionaries(st.integers(-10, 10), _cbor_values, max_size=3),
    st.sampled_from(SIGNERS),
)
def test_signed_by_a_trusted_key_but_any_payload_and_header(
    payload: object, extra_header: dict[int, object], signer: SoftwareSigner
) -> None:
    # Even a trusted key signing garbage must give a codec error, never anything else.
    header: dict[int, object] = {1: -7 if signer.alg == "ES256" else -8, 4: TRUST_KID[signer.kid]}
    header.update(extra_header)
    message = cose_sign1.sign1(
        deterministic_cbor.encode(payload),
        signer,
        protected_header=header,
        external_aad=codec.EXTERNAL_AAD,
    )
    try:
        codec.verify(as_credential(message), TRUST)
    except CredentialError:
        return
    raise AssertionError("a payload that is not a licence claim set verified")

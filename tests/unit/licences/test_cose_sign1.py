"""COSE_Sign1 built with deterministic CBOR, checked byte for byte against published examples.

The expected bytes are the COSE Working Group's examples (github.com/cose-wg/Examples),
produced by an independent implementation: eddsa-examples/eddsa-sig-01.json (Ed25519 key of
RFC 8032 §7.1 TEST 1, so the signature is deterministic and the whole message reproducible)
and ecdsa-examples/ecdsa-sig-01.json (ES256, randomised, so verify-only).
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import ed25519
from licence_support import AMR_XIHU
from licence_support import KEY_VALID_FROM
from licence_support import SoftwareSigner

from licences import cose_sign1
from licences.deterministic_cbor import DeterministicCBORError
from licences.deterministic_cbor import TruncatedCBORError
from licences.public_keys import TrustedKey
from licences.public_keys import b64url_decode

CONTENT = b"This is the content."
KID_11 = b"11"

# eddsa-sig-01.json: protected {1: -8 (EdDSA), 3: 0}, unprotected {4: '11'}.
EDDSA_D = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
EDDSA_TO_BE_SIGNED = bytes.fromhex(
    "846A5369676E61747572653145A2012703004054546869732069732074686520636F6E74656E742E"
)
EDDSA_MESSAGE = bytes.fromhex(
    "D28445A201270300A10442313154546869732069732074686520636F6E74656E742E5840"
    "7142FD2FF96D56DB85BEE905A76BA1D0B7321A95C8C4D3607C5781932B7AFB87"
    "11497DFA751BF40B58B3BCC32300B1487F3DB34085EEF013BF08F4A44D6FEF0D"
)

# ecdsa-sig-01.json: protected {1: -7 (ES256), 3: 0}, unprotected {4: '11'}, key "11".
ES256_X = "usWxHK2PmfnHKwXPS54m0kTcGJ90UiglWiGahtagnv8"
ES256_Y = "IBOL-C3BttVivg-lSreASjpkttcsz-1rb7btKLv8EX4"
ES256_TO_BE_SIGNED = bytes.fromhex(
    "846A5369676E61747572653145A2012603004054546869732069732074686520636F6E74656E742E"
)
ES256_MESSAGE = bytes.fromhex(
    "D28445A201260300A10442313154546869732069732074686520636F6E74656E742E5840"
    "6520BBAF2081D7E0ED0F95F76EB0733D667005F7467CEC4B87B9381A6BA1EDE8"
    "E00DF29F32A37230F39A842A54821FDD223092819D7728EFB9D3A0080B75380B"
)


def test_eddsa_example_is_reproduced_byte_for_byte() -> None:
    signer = SoftwareSigner(ed25519.Ed25519PrivateKey.from_private_bytes(EDDSA_D), "11", "EdDSA")
    message = cose_sign1.sign1(
        CONTENT, signer, protected_header={1: -8, 3: 0}, unprotected_header={4: KID_11}
    )
    assert message == EDDSA_MESSAGE
    parsed = cose_sign1.parse_sign1(message)
    assert parsed.to_be_signed() == EDDSA_TO_BE_SIGNED
    assert parsed.protected_header == {1: -8, 3: 0}
    assert parsed.unprotected_header == {4: KID_11}
    assert parsed.payload == CONTENT


def test_es256_example_verifies_with_our_sig_structure() -> None:
    public_key = ec.EllipticCurvePublicNumbers(
        int.from_bytes(b64url_decode(ES256_X), "big"),
        int.from_bytes(b64url_decode(ES256_Y), "big"),
        ec.SECP256R1(),
    ).public_key()
    key = TrustedKey("11", "ES256", public_key, AMR_XIHU, KEY_VALID_FROM)
    parsed = cose_sign1.parse_sign1(ES256_MESSAGE)
    assert parsed.to_be_signed() == ES256_TO_BE_SIGNED
    key.verify_signature(parsed.to_be_signed(), parsed.signature)


def test_external_aad_enters_the_sig_structure(eddsa_signer: SoftwareSigner) -> None:
    message = cose_sign1.sign1(b"x", eddsa_signer, protected_header={1: -8}, external_aad=b"ctx")
    parsed = cose_sign1.parse_sign1(message)
    # ["Signature1", h'a10127', h'637478' ("ctx"), h'78' ("x")]
    expected = "846a5369676e61747572653143a10127436374784178"
    assert parsed.to_be_signed(b"ctx").hex() == expected


def test_an_empty_protected_header_is_a_zero_length_string(eddsa_signer: SoftwareSigner) -> None:
    message = cose_sign1.sign1(b"x", eddsa_signer, protected_header={})
    assert message[:4] == bytes.fromhex("d28440a0")
    assert cose_sign1.parse_sign1(message).protected_header == {}


@pytest.mark.parametrize(
    ("hex_message", "error", "message"),
    [
        ("8440a04078", DeterministicCBORError, "tag 18"),
        ("d283", TruncatedCBORError, "early"),
        ("d2", TruncatedCBORError, "early"),
        ("d28340a040", DeterministicCBORError, "four items"),
        ("d28401a04040", DeterministicCBORError, "protected header"),
        ("d28440804040", DeterministicCBORError, "unprotected header must be a map"),
        ("d28440a0f640", DeterministicCBORError, "payload"),
        ("d28440a04001", DeterministicCBORError, "signature"),
        ("d28441a0a04040", DeterministicCBORError, "non-empty map"),
        ("d2844180a04040", DeterministicCBORError, "non-empty map"),
        ("d28440a0404000", DeterministicCBORError, "trailing bytes"),
        ("d28440a058004040", DeterministicCBORError, "deterministic"),
    ],
)
def test_structural_faults_are_named(
    hex_message: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        cose_sign1.parse_sign1(bytes.fromhex(hex_message))

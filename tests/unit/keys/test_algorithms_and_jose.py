from __future__ import annotations

import base64
import json
from typing import Any

import jwt
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec

from keys.algorithms import ALGORITHMS
from keys.algorithms import generate_private_key
from keys.algorithms import private_key_from_der
from keys.algorithms import private_key_to_der
from keys.algorithms import sign_raw
from keys.algorithms import verify_raw
from keys.errors import UnsupportedAlgorithm
from keys.jose import jwk_thumbprint
from keys.jose import jwks_document
from keys.jose import public_key_from_jwk
from keys.jose import sign_compact
from keys.jose import sign_jwt
from keys.jose import verify_jwt
from keys.software import SoftwareSigner
from tests.vectors import load_vectors

VECTORS = load_vectors("jose/rfc-vectors.json")


def b64(data: str) -> bytes:
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


@pytest.fixture(params=ALGORITHMS)
def signer(request: pytest.FixtureRequest) -> SoftwareSigner:
    key = generate_private_key(request.param)
    return SoftwareSigner(jwk_thumbprint(key.public_key(), request.param)[:22], request.param, key)


def test_signatures_verify_and_tampering_is_detected(signer: SoftwareSigner) -> None:
    signature = signer.sign(b"approval 42")
    verify_raw(signer.public_key(), signer.alg, signature, b"approval 42")
    with pytest.raises(InvalidSignature):
        verify_raw(signer.public_key(), signer.alg, signature, b"approval 43")


def test_es256_signatures_are_raw_r_and_s() -> None:
    key = generate_private_key("ES256")
    assert len(sign_raw(key, "ES256", b"x")) == 64


def test_private_key_der_round_trip_checks_the_type() -> None:
    key = generate_private_key("ES256")
    der = private_key_to_der(key)
    assert private_key_from_der(der, "ES256").private_numbers() == key.private_numbers()
    with pytest.raises(UnsupportedAlgorithm):
        private_key_from_der(der, "RS256")


def test_other_curves_are_not_accepted_for_es256() -> None:
    other = ec.generate_private_key(ec.SECP384R1())
    with pytest.raises(UnsupportedAlgorithm):
        private_key_from_der(private_key_to_der(other), "ES256")


def test_unknown_algorithm_is_refused() -> None:
    with pytest.raises(UnsupportedAlgorithm, match="'HS256'"):
        generate_private_key("HS256")


@pytest.mark.parametrize("vector", VECTORS["thumbprints"], ids=lambda v: v["name"])
def test_rfc7638_thumbprint(vector: dict[str, Any]) -> None:
    key = public_key_from_jwk(vector["jwk"], vector["alg"])
    assert jwk_thumbprint(key, vector["alg"]) == vector["thumbprint"]


@pytest.mark.parametrize("vector", VECTORS["signatures"], ids=lambda v: v["name"])
def test_rfc_signature_vectors_verify_and_fail_when_tampered(vector: dict[str, Any]) -> None:
    key = public_key_from_jwk(vector["public_jwk"], vector["alg"])
    header, payload, signature = vector["jws"].split(".")
    signing_input = f"{header}.{payload}".encode()
    verify_raw(key, vector["alg"], b64(signature), signing_input)
    assert b64(payload).decode() == vector["payload"]
    with pytest.raises(InvalidSignature):
        verify_raw(key, vector["alg"], b64(signature), signing_input + b"x")
    with pytest.raises(InvalidSignature):
        verify_raw(key, vector["alg"], b64(signature)[:-1], signing_input)


def test_rfc8037_ed25519_example_is_reproduced_byte_for_byte() -> None:
    vector = VECTORS["signatures"][0]
    from jwt.algorithms import OKPAlgorithm

    private = OKPAlgorithm.from_jwk(vector["private_jwk"])
    signer = SoftwareSigner("rfc8037", "EdDSA", private)  # type: ignore[arg-type]
    assert sign_compact(signer, vector["header"], vector["payload"].encode()) == vector["jws"]


def test_public_key_from_jwk_refuses_private_jwks() -> None:
    with pytest.raises(ValueError, match="public JWK"):
        public_key_from_jwk(VECTORS["signatures"][0]["private_jwk"], "EdDSA")


def test_jwt_round_trip_keeps_chinese_as_utf8(signer: SoftwareSigner) -> None:
    token = sign_jwt(signer, {"name": "张三", "exp": 4_000_000_000, "iat": 1})
    payload = b64(token.split(".")[1])
    assert "张三".encode() in payload  # not \\u escapes
    claims = verify_jwt(token, lambda kid: (signer.public_key(), signer.alg))
    assert claims["name"] == "张三"
    header = json.loads(b64(token.split(".")[0]))
    assert header == {"alg": signer.alg, "kid": signer.kid, "typ": "JWT"}


def test_jwt_with_a_tampered_payload_is_refused(signer: SoftwareSigner) -> None:
    token = sign_jwt(signer, {"sub": "a", "exp": 4_000_000_000, "iat": 1})
    header, _, signature = token.split(".")
    forged = base64.urlsafe_b64encode(b'{"sub":"b","exp":4000000000,"iat":1}').rstrip(b"=")
    with pytest.raises(jwt.InvalidSignatureError):
        verify_jwt(
            f"{header}.{forged.decode()}.{signature}", lambda kid: (signer.public_key(), signer.alg)
        )


def test_the_token_cannot_choose_its_algorithm() -> None:
    key = generate_private_key("ES256")
    signer = SoftwareSigner("k1", "ES256", key)
    # alg "none": no signature at all.
    unsigned = jwt.encode(
        {"sub": "a", "exp": 4_000_000_000, "iat": 1},
        key=None,
        algorithm="none",
        headers={"kid": "k1"},
    )
    with pytest.raises(jwt.InvalidAlgorithmError):
        verify_jwt(unsigned, lambda kid: (signer.public_key(), "ES256"))
    # HS256 keyed with the public key's bytes (the classic confusion attack).
    from cryptography.hazmat.primitives import serialization

    pem = signer.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    import hashlib
    import hmac

    header = base64.urlsafe_b64encode(b'{"alg":"HS256","kid":"k1"}').rstrip(b"=")
    body = base64.urlsafe_b64encode(b'{"sub":"a","exp":4000000000,"iat":1}').rstrip(b"=")
    mac = hmac.new(pem, header + b"." + body, hashlib.sha256).digest()
    confused = b".".join([header, body, base64.urlsafe_b64encode(mac).rstrip(b"=")]).decode()
    with pytest.raises(jwt.InvalidAlgorithmError):
        verify_jwt(confused, lambda kid: (signer.public_key(), "ES256"))


def test_expired_and_wrong_audience_tokens_are_refused(signer: SoftwareSigner) -> None:
    key_for = lambda kid: (signer.public_key(), signer.alg)  # noqa: E731
    expired = sign_jwt(signer, {"exp": 1, "iat": 0})
    with pytest.raises(jwt.ExpiredSignatureError):
        verify_jwt(expired, key_for)
    token = sign_jwt(signer, {"aud": "https://rp.example", "exp": 4_000_000_000, "iat": 1})
    with pytest.raises(jwt.InvalidAudienceError):
        verify_jwt(token, key_for, audience="https://other.example")
    assert verify_jwt(token, key_for, audience="https://rp.example")["aud"] == "https://rp.example"


def test_typ_is_checked_when_asked(signer: SoftwareSigner) -> None:
    token = sign_jwt(signer, {"exp": 4_000_000_000, "iat": 1}, typ="at+jwt")
    key_for = lambda kid: (signer.public_key(), signer.alg)  # noqa: E731
    assert verify_jwt(token, key_for, typ="at+jwt")
    with pytest.raises(jwt.InvalidTokenError, match="typ"):
        verify_jwt(token, key_for, typ="logout+jwt")


def test_jwks_document_is_compact_json(signer: SoftwareSigner) -> None:
    document = json.loads(jwks_document([signer.public_jwk()]))
    assert document["keys"][0]["kid"] == signer.kid
    assert "d" not in document["keys"][0]
    assert "p" not in document["keys"][0]


def test_sign_compact_refuses_a_mismatched_header(signer: SoftwareSigner) -> None:
    with pytest.raises(ValueError, match="not the signer's"):
        sign_compact(signer, {"alg": "none"}, b"x")

"""The signed trust list: build, sign, verify, parse, and rotation that keeps old keys."""

from __future__ import annotations

import json
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from licence_support import AMR_XIHU
from licence_support import OPERATOR
from licence_support import RETIRED_FROM
from licence_support import RETIRED_UNTIL
from licence_support import SoftwareSigner
from licence_support import fixed_signer
from licence_support import load_vector
from licence_support import trusted_key

from licences import _jose
from licences.errors import TrustListError
from licences.errors import TrustListExpiredError
from licences.public_keys import Issuer
from licences.public_keys import TrustedKey
from licences.public_keys import b64url_encode
from licences.public_keys import cose_kid_of
from licences.public_keys import jwk_thumbprint
from licences.public_keys import public_key_from_jwk
from licences.public_keys import public_key_to_jwk
from licences.trust_list import TRUST_LIST_TYP
from licences.trust_list import build_trust_list_claims
from licences.trust_list import parse_root_keys
from licences.trust_list import root_keys_document
from licences.trust_list import sign_trust_list
from licences.trust_list import verify_trust_list

ISSUED = datetime(2026, 1, 1, tzinfo=UTC)
EXPIRES = datetime(2027, 1, 1, tzinfo=UTC)
ISSUER = "https://licence.example.gov.cn"


@pytest.fixture
def root() -> SoftwareSigner:
    return fixed_signer("trust-root")


@pytest.fixture
def roots(root: SoftwareSigner) -> list[TrustedKey]:
    return [trusted_key(root, issuer=OPERATOR)]


@pytest.fixture
def entries(es256_signer: SoftwareSigner, eddsa_signer: SoftwareSigner) -> list[TrustedKey]:
    retired = trusted_key(
        fixed_signer("licence-es256-retired"), valid_from=RETIRED_FROM, valid_until=RETIRED_UNTIL
    )
    return [trusted_key(es256_signer), trusted_key(eddsa_signer), retired]


def _sign(entries: list[TrustedKey], signer: SoftwareSigner, **changes: Any) -> str:
    arguments: dict[str, Any] = {
        "issuer": ISSUER,
        "signer": signer,
        "issued_at": ISSUED,
        "expires_at": EXPIRES,
    }
    arguments.update(changes)
    return sign_trust_list(entries, **arguments)


def test_sign_then_verify_keeps_every_key(
    root: SoftwareSigner, roots: list[TrustedKey], entries: list[TrustedKey]
) -> None:
    trust_list = verify_trust_list(_sign(entries, root), roots=roots, now=ISSUED)
    assert trust_list.issuer == ISSUER
    assert (trust_list.issued_at, trust_list.expires_at) == (ISSUED, EXPIRES)
    assert trust_list.keys == tuple(entries)
    assert trust_list.by_cose_kid == {key.cose_kid: key for key in entries}
    assert trust_list.by_kid["test-xihu-amr-es256-2024"].valid_until == RETIRED_UNTIL
    assert trust_list.by_kid["test-xihu-amr-eddsa-2025"].issuer == AMR_XIHU


def test_entries_carry_the_documented_members(
    root: SoftwareSigner, entries: list[TrustedKey]
) -> None:
    claims = jwt.decode(
        _sign(entries, root),
        root.public_key(),  # type: ignore[arg-type]
        algorithms=["EdDSA"],
        options={"verify_exp": False},
    )
    entry = claims["keys"][0]
    assert set(entry) == {"kid", "cose_kid", "alg", "jwk", "issuer", "valid_from", "valid_until"}
    assert entry["issuer"] == {"name": "杭州市西湖区市场监督管理局", "code": "11330106MB1C586785"}
    assert entry["jwk"]["kty"] == "EC"
    assert "d" not in entry["jwk"]
    assert entry["valid_until"] is None
    # The department name travels as UTF-8, not as \\u escapes.
    payload = jwt.utils.base64url_decode(_sign(entries, root).split(".")[1])
    assert "市场监督管理局".encode() in payload


def test_expired_list_is_refused(
    root: SoftwareSigner, roots: list[TrustedKey], entries: list[TrustedKey]
) -> None:
    with pytest.raises(TrustListExpiredError):
        verify_trust_list(_sign(entries, root), roots=roots, now=EXPIRES)


def test_a_list_signed_by_a_licence_key_is_refused(
    es256_signer: SoftwareSigner, roots: list[TrustedKey], entries: list[TrustedKey]
) -> None:
    with pytest.raises(TrustListError, match="not trusted"):
        verify_trust_list(_sign(entries, es256_signer), roots=roots, now=ISSUED)


def test_an_added_key_breaks_the_signature(
    root: SoftwareSigner,
    roots: list[TrustedKey],
    entries: list[TrustedKey],
    forger_signer: SoftwareSigner,
) -> None:
    header, payload, signature = _sign(entries, root).split(".")
    claims = json.loads(jwt.utils.base64url_decode(payload))
    claims["keys"].append(
        {**claims["keys"][0], "jwk": public_key_to_jwk(forger_signer.public_key())}
    )
    forged_payload = b64url_encode(json.dumps(claims).encode())
    with pytest.raises(TrustListError, match="signature"):
        verify_trust_list(f"{header}.{forged_payload}.{signature}", roots=roots, now=ISSUED)


def test_root_must_have_been_valid_when_it_signed(
    root: SoftwareSigner, entries: list[TrustedKey]
) -> None:
    late_root = trusted_key(root, issuer=OPERATOR, valid_from=ISSUED + timedelta(days=1))
    with pytest.raises(TrustListError, match="not valid when"):
        verify_trust_list(_sign(entries, root), roots=[late_root], now=ISSUED)


def test_other_token_types_are_refused(root: SoftwareSigner, roots: list[TrustedKey]) -> None:
    token = _jose.sign_jwt({"iss": ISSUER}, root, typ="statuslist+jwt")
    with pytest.raises(TrustListError, match="typ must be"):
        verify_trust_list(token, roots=roots, now=ISSUED)


def _set_alg(entry: dict[str, Any], alg: str) -> None:
    entry["alg"] = entry["jwk"]["alg"] = alg


def _signed_claims(root: SoftwareSigner, claims: dict[str, Any]) -> str:
    return _jose.sign_jwt(claims, root, typ=TRUST_LIST_TYP)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda c: c.pop("iss"), "iss"),
        (lambda c: c.update(iat="2026"), "iat"),
        (lambda c: c.update(keys=[]), "non-empty"),
        (lambda c: c["keys"][0].pop("jwk"), r"keys\[0\] needs kid, alg and jwk"),
        (lambda c: _set_alg(c["keys"][0], "EdDSA"), "EdDSA needs an Ed25519"),
        (lambda c: _set_alg(c["keys"][0], "HS256"), "unsupported algorithm"),
        (lambda c: c["keys"][0]["jwk"].update(kid="other"), "disagrees"),
        (lambda c: c["keys"][0].update(cose_kid="00" * 8), "cose_kid"),
        (lambda c: c["keys"][0].update(valid_from=None), "valid_from"),
        (lambda c: c["keys"][0].update(valid_until="never"), "valid_until"),
        (lambda c: c["keys"][0].update(issuer={"name": "x"}), "issuer needs"),
        (lambda c: c["keys"][0]["jwk"].update(d="AAAA"), "private JWK"),
        (lambda c: c["keys"][0]["jwk"].update(x="AAAA"), "32 bytes"),
        (lambda c: c["keys"].append(c["keys"][0]), "only once"),
        (lambda c: c["keys"].append("key"), "not an object"),
    ],
)
def test_malformed_entries_are_named(
    root: SoftwareSigner,
    roots: list[TrustedKey],
    entries: list[TrustedKey],
    mutate: Any,
    message: str,
) -> None:
    claims = build_trust_list_claims(entries, issuer=ISSUER, issued_at=ISSUED, expires_at=EXPIRES)
    mutate(claims)
    with pytest.raises(TrustListError, match=message):
        verify_trust_list(_signed_claims(root, claims), roots=roots, now=ISSUED)


def test_duplicate_keys_are_refused_when_building(entries: list[TrustedKey]) -> None:
    with pytest.raises(ValueError, match="only once"):
        build_trust_list_claims(entries + entries[:1], issuer=ISSUER, issued_at=ISSUED)


def test_roots_document_round_trips(roots: list[TrustedKey]) -> None:
    assert parse_root_keys(root_keys_document(roots)) == tuple(roots)
    with pytest.raises(TrustListError, match="expected"):
        parse_root_keys({"keys": []})


def test_rsa_keys_can_sign_lists(entries: list[TrustedKey]) -> None:
    rsa_root = SoftwareSigner(rsa.generate_private_key(65537, 2048), "rsa-root", "RS256")
    key = TrustedKey(
        "rsa-root",
        "RS256",
        rsa_root.public_key(),  # type: ignore[arg-type]
        OPERATOR,
        ISSUED,
    )
    trust_list = verify_trust_list(_sign(entries, rsa_root), roots=[key], now=ISSUED)
    assert len(trust_list.keys) == 3
    assert public_key_from_jwk(key.public_jwk()).public_numbers() == key.public_key.public_numbers()  # type: ignore[union-attr]


class TestPublicKeys:
    def test_rfc7638_thumbprint_example(self) -> None:
        # RFC 7638 §3.1: the RSA example key and its thumbprint.
        n = (
            "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_B"
            "JECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_F"
            "DW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4"
            "vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
        )
        key = public_key_from_jwk({"kty": "RSA", "n": n, "e": "AQAB"})
        assert b64url_encode(jwk_thumbprint(key)) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"

    def test_rfc8037_okp_thumbprint_example(self) -> None:
        # RFC 8037 Appendix A.3: the Ed25519 example key's thumbprint.
        key = public_key_from_jwk(
            {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
        )
        assert b64url_encode(jwk_thumbprint(key)) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"

    def test_cose_kid_is_the_thumbprint_prefix(self, es256_signer: SoftwareSigner) -> None:
        key = es256_signer.public_key()
        assert cose_kid_of(key) == jwk_thumbprint(key)[:8]

    @pytest.mark.parametrize(
        ("jwk", "message"),
        [
            ({"kty": "EC", "crv": "P-384", "x": "", "y": ""}, "P-256"),
            ({"kty": "OKP", "crv": "X25519", "x": ""}, "Ed25519"),
            ({"kty": "oct", "k": "AAAA"}, "unsupported JWK key type"),
            ({"kty": "EC", "crv": "P-256", "x": "A" * 43, "y": "A" * 43}, "(?i)invalid"),
            ({"kty": "EC", "crv": "P-256", "x": "A=", "y": "A"}, "base64url"),
        ],
    )
    def test_unusable_jwks(self, jwk: dict[str, str], message: str) -> None:
        with pytest.raises(ValueError, match=message):
            public_key_from_jwk(jwk)

    def test_keys_must_match_their_algorithm(self, es256_signer: SoftwareSigner) -> None:
        with pytest.raises(ValueError, match="EdDSA needs"):
            TrustedKey("k", "EdDSA", es256_signer.public_key(), AMR_XIHU, ISSUED)  # type: ignore[arg-type]
        small = rsa.generate_private_key(65537, 1024).public_key()  # noqa: S505  (on purpose)
        with pytest.raises(ValueError, match="at least 2048"):
            TrustedKey("k", "RS256", small, AMR_XIHU, ISSUED)

    def test_validity_period_checks(self, es256_signer: SoftwareSigner) -> None:
        with pytest.raises(ValueError, match="before valid_from"):
            trusted_key(es256_signer, valid_from=ISSUED, valid_until=ISSUED - timedelta(1))
        with pytest.raises(ValueError, match="timezone-aware"):
            trusted_key(es256_signer, valid_from=datetime(2025, 1, 1))
        key = trusted_key(es256_signer, valid_from=ISSUED, valid_until=EXPIRES)
        assert key.covers(ISSUED)
        assert key.covers(EXPIRES)
        assert not key.covers(EXPIRES + timedelta(seconds=1))
        assert not key.covers(ISSUED - timedelta(seconds=1))

    def test_issuer_json(self) -> None:
        assert Issuer("部门", "11330000MB0A43210C").as_json() == {
            "name": "部门",
            "code": "11330000MB0A43210C",
        }


def test_vector_is_reproduced_and_verifies(root: SoftwareSigner, entries: list[TrustedKey]) -> None:
    vector = load_vector("trust-list.json")
    roots = parse_root_keys(vector["roots"])
    trust_list = verify_trust_list(vector["token"], roots=roots, now=ISSUED)
    assert trust_list.keys == tuple(entries)
    assert _sign(entries, root) == vector["token"]

"""Regenerate the golden files in tests/vectors/licences (run from anywhere).

    python tests/unit/licences/make_licence_vectors.py

The keys in keys.json are fixed; everything else is derived from them and from
business-licence.json. Ed25519 signatures are deterministic (RFC 8032 §5.1.6), so EdDSA
vectors are byte-exact and the tests re-create them. ES256 signatures are randomised, so
ES256 vectors are verify-only and rewriting them changes their bytes: only rewrite them when
the format changes, and say so in the commit.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from licence_support import OPERATOR
from licence_support import RETIRED_FROM
from licence_support import RETIRED_UNTIL
from licence_support import VECTORS
from licence_support import SoftwareSigner
from licence_support import example_claims
from licence_support import example_licence
from licence_support import fixed_signer
from licence_support import trusted_key

from licences import codec
from licences import cose_sign1
from licences import decimal_digits
from licences.errors import CredentialError
from licences.public_keys import cose_kid_of
from licences.record_digest import encode_record
from licences.status_list import Status
from licences.status_list import StatusList
from licences.status_list import sign_status_list
from licences.trust_list import parse_root_keys
from licences.trust_list import root_keys_document
from licences.trust_list import sign_trust_list
from licences.trust_list import verify_trust_list

#: When the vectors' trust list and status list were issued.
VECTOR_TIME = datetime(2026, 1, 1, tzinfo=UTC)


def record_digest_vectors() -> dict[str, Any]:
    records = [
        ("empty record", {}),
        ("flat ASCII", {"b": 2, "a": 1, "aa": [True, False, None]}),
        ("example business licence", example_licence()["record"]),
    ]
    return {
        "description": "Full licence records, their RFC 8949 §4.2.1 encoding and SHA-256.",
        "vectors": [
            {
                "name": name,
                "record": record,
                "cbor_hex": encode_record(record).hex(),
                "sha256_hex": hashlib.sha256(encode_record(record)).hexdigest(),
            }
            for name, record in records
        ],
    }


def _sign_foreign(claims: codec.LicenceClaims, signer: SoftwareSigner, kid: bytes) -> str:
    """A credential signed by ``signer`` but carrying an arbitrary COSE kid."""
    message = cose_sign1.sign1(
        claims.to_cwt_bytes(),
        signer,
        protected_header={cose_sign1.HEADER_ALG: -7, cose_sign1.HEADER_KID: kid},
        external_aad=codec.EXTERNAL_AAD,
    )
    return codec.FORMAT_VERSION + decimal_digits.encode_digits(message)


def _replace_digit(digits: str, position: int) -> str:
    return digits[:position] + str((int(digits[position]) + 1) % 10) + digits[position + 1 :]


def credential_vectors() -> dict[str, Any]:
    base_url = example_licence()["credential"]["base_url"]
    claims = example_claims()
    es256, eddsa = fixed_signer("licence-es256"), fixed_signer("licence-eddsa")
    retired, forger = fixed_signer("licence-es256-retired"), fixed_signer("untrusted-es256")
    eddsa_url = codec.encode(claims, eddsa, base_url)
    es256_url = codec.encode(claims, es256, base_url)
    es256_digits = codec.extract_digits(es256_url)
    eddsa_message = decimal_digits.decode_digits(codec.extract_digits(eddsa_url)[2:])
    es256_message = decimal_digits.decode_digits(es256_digits[2:])
    # Signed inside the retired key's period, and (for the negative case) after it.
    old_claims = dataclasses.replace(claims, issued_at=datetime(2024, 6, 1, tzinfo=UTC))
    late_claims = dataclasses.replace(claims, issued_at=datetime(2025, 6, 1, tzinfo=UTC))
    as_eddsa = bytearray(es256_message)
    as_eddsa[5] = 0x27  # alg -7 (ES256) rewritten to -8 (EdDSA), signature untouched.
    oversized = codec.FORMAT_VERSION + decimal_digits.encode_digits(
        bytes(codec.MAX_PAYLOAD_BYTES + 1)
    )
    payload = {
        "licence_id": claims.licence_id,
        "holder_code": claims.holder_code,
        "holder_name": claims.holder_name,
        "not_before": claims.not_before.isoformat(),
        "not_after": None if claims.not_after is None else claims.not_after.isoformat(),
        "issued_at": claims.issued_at.isoformat(),
        "record_digest_hex": claims.record_digest.hex(),
        "status_index": claims.status.index,
        "status_uri": claims.status.uri,
    }
    return {
        "description": (
            "QR credentials of the example business licence, signed with keys.json. Verify "
            "them against the keys of trust-list.json; each negative vector names the error "
            "code it must be rejected with."
        ),
        "base_url": base_url,
        "claims": payload,
        "claims_cbor_hex": claims.to_cwt_bytes().hex(),
        "positive": [
            {
                "name": "EdDSA, byte-exact",
                "key": "licence-eddsa",
                "exact": True,
                "url": eddsa_url,
                "cose_hex": eddsa_message.hex(),
                "to_be_signed_hex": cose_sign1.parse_sign1(eddsa_message)
                .to_be_signed(codec.EXTERNAL_AAD)
                .hex(),
            },
            {
                "name": "ES256, verify only",
                "key": "licence-es256",
                "exact": False,
                "url": es256_url,
                "cose_hex": es256_message.hex(),
            },
            {
                "name": "ES256 in the fragment form",
                "key": "licence-es256",
                "exact": False,
                "url": es256_url.replace("/v/", "/v#"),
            },
            {
                "name": "retired key, licence issued while it was valid",
                "key": "licence-es256-retired",
                "exact": False,
                "url": codec.encode(old_claims, retired, base_url),
            },
        ],
        "negative": [
            {
                "name": "tampered: one digit of the payload changed",
                "input": _replace_digit(es256_digits, 200),
                "expect": "tampered",
            },
            {
                "name": "tampered: signature digit changed",
                "input": _replace_digit(es256_digits, len(es256_digits) - 5),
                "expect": "tampered",
            },
            {
                "name": "truncated: last 40 digits missing",
                "input": es256_url[:-40],
                "expect": "truncated",
            },
            {
                "name": "truncated: cut at a group boundary",
                "input": es256_digits[: 2 + 53 * 5],
                "expect": "truncated",
            },
            {
                "name": "re-signed with an untrusted key under its own kid",
                "input": codec.encode(claims, forger, base_url),
                "expect": "untrusted_key",
            },
            {
                "name": "re-signed with an untrusted key claiming the trusted kid",
                "input": _sign_foreign(claims, forger, cose_kid_of(es256.public_key())),
                "expect": "tampered",
            },
            {
                "name": "wrong algorithm: ES256 message relabelled EdDSA",
                "input": codec.FORMAT_VERSION + decimal_digits.encode_digits(bytes(as_eddsa)),
                "expect": "wrong_alg",
            },
            {
                "name": "unknown version tag",
                "input": "02" + es256_digits[2:],
                "expect": "bad_version",
            },
            {
                "name": "oversized: more digits than any version-01 credential",
                "input": oversized,
                "expect": "oversized",
            },
            {
                "name": "key expired: retired key signing after its period",
                "input": codec.encode(late_claims, retired, base_url),
                "expect": "key_expired",
            },
            {
                "name": "malformed: not https",
                "input": es256_url.replace("https://", "http://"),
                "expect": "malformed",
            },
            {
                "name": "malformed: letters among the digits",
                "input": es256_url[:-3] + "abc",
                "expect": "malformed",
            },
        ],
    }


def status_list_vectors() -> dict[str, Any]:
    signer = fixed_signer("licence-eddsa")
    status_list = StatusList(size=1 << 20, bits=2)
    status_list[example_claims().status.index] = Status.VALID
    status_list[17] = Status.INVALID
    status_list[4242] = Status.SUSPENDED
    token = sign_status_list(
        status_list,
        uri=example_claims().status.uri,
        signer=signer,
        issued_at=VECTOR_TIME,
        expires_at=datetime(2026, 1, 2, tzinfo=UTC),
        ttl=3600,
    )
    return {
        "description": "A Status List Token (JWT, EdDSA, byte-exact) with bits=2, 2**20 entries.",
        "key": "licence-eddsa",
        "token": token,
        "statuses": {"17": 1, "4242": 2, str(example_claims().status.index): 0, "0": 0},
    }


def trust_list_vectors() -> dict[str, Any]:
    root = fixed_signer("trust-root")
    keys = [
        trusted_key(fixed_signer("licence-es256")),
        trusted_key(fixed_signer("licence-eddsa")),
        trusted_key(
            fixed_signer("licence-es256-retired"),
            valid_from=RETIRED_FROM,
            valid_until=RETIRED_UNTIL,
        ),
    ]
    token = sign_trust_list(
        keys,
        issuer="https://licence.example.gov.cn",
        signer=root,
        issued_at=VECTOR_TIME,
        expires_at=datetime(2027, 1, 1, tzinfo=UTC),
    )
    roots = root_keys_document([trusted_key(root, issuer=OPERATOR)])
    return {
        "description": "A trust list (JWT, EdDSA root, byte-exact) and the pinned roots file.",
        "token": token,
        "roots": roots,
    }


def check_credentials(credentials: dict[str, Any], trust_list: dict[str, Any]) -> None:
    """Refuse to write a vector whose stated outcome is not what the code does."""
    roots = parse_root_keys(trust_list["roots"])
    trust = verify_trust_list(trust_list["token"], roots=roots, now=VECTOR_TIME).by_cose_kid
    for vector in credentials["positive"]:
        codec.verify(vector["url"], trust)
    for vector in credentials["negative"]:
        try:
            codec.verify(vector["input"], trust)
        except CredentialError as exc:
            if exc.code != vector["expect"]:
                raise SystemExit(f"{vector['name']}: got {exc.code}: {exc}") from exc
        else:
            raise SystemExit(f"{vector['name']}: verified")


def main() -> None:
    files = {
        "record-digests.json": record_digest_vectors(),
        "credentials.json": credential_vectors(),
        "status-list.json": status_list_vectors(),
        "trust-list.json": trust_list_vectors(),
    }
    check_credentials(files["credentials.json"], files["trust-list.json"])
    for name, content in files.items():
        text = json.dumps(content, ensure_ascii=False, indent=2) + "\n"
        (VECTORS / name).write_text(text, encoding="utf-8")
        print(f"wrote {VECTORS / name}")


if __name__ == "__main__":
    main()

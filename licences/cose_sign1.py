"""COSE_Sign1 (RFC 9052 §4.2) built and parsed with deterministic CBOR.

Only what the licence credential needs: a tagged COSE_Sign1 (tag 18, RFC 9052 §2), a
protected header map with integer labels, the Sig_structure of RFC 9052 §4.4 with optional
external AAD (§4.3), and the algorithms ES256 (-7) and EdDSA (-8) of RFC 9053 §2.1-§2.2.
See ``docs/decisions/cose-sign1-built-on-cbor2.md`` for why this is not pycose.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Final

import cbor2

from licences import deterministic_cbor

if TYPE_CHECKING:
    from keys.signer import Signer

__all__ = [
    "COSE_ALG_BY_NAME",
    "COSE_SIGN1_TAG",
    "HEADER_ALG",
    "HEADER_KID",
    "NAME_BY_COSE_ALG",
    "Sign1",
    "Sign1Error",
    "parse_sign1",
    "sig_structure",
    "sign1",
]

#: CBOR tag of COSE_Sign1_Tagged (RFC 9052 §2, Table 1).
COSE_SIGN1_TAG: Final = 18
_TAG_BYTE: Final = b"\xd2"  # Major type 6 with argument 18.
_SIGN1_PREFIX: Final = b"\xd2\x84"  # The tag, then an array of four items.
_SIG_STRUCTURE_PREFIX: Final = b"\x84\x6aSignature1"  # Array of four, then the context text.

#: Header labels (RFC 9052 §3.1, Table 3).
HEADER_ALG: Final = 1
HEADER_KID: Final = 4

#: COSE algorithm identifiers for the JOSE names of keys.signer.Signer (RFC 9053 §2.1, §2.2).
COSE_ALG_BY_NAME: Final[Mapping[str, int]] = {"ES256": -7, "EdDSA": -8}
NAME_BY_COSE_ALG: Final[Mapping[int, str]] = {v: k for k, v in COSE_ALG_BY_NAME.items()}


class Sign1Error(deterministic_cbor.DeterministicCBORError):
    """The bytes are CBOR but not a COSE_Sign1 of the shape RFC 9052 §4.2 defines."""


@dataclass(frozen=True)
class Sign1:
    """A parsed, unverified COSE_Sign1 message."""

    protected: bytes
    protected_header: Mapping[object, object]
    unprotected_header: Mapping[object, object]
    payload: bytes
    signature: bytes

    def to_be_signed(self, external_aad: bytes = b"") -> bytes:
        """The bytes the signature covers (RFC 9052 §4.4)."""
        return sig_structure(self.protected, self.payload, external_aad)


def sig_structure(protected: bytes, payload: bytes, external_aad: bytes = b"") -> bytes:
    """``Sig_structure = ["Signature1", body_protected, external_aad, payload]`` (RFC 9052 §4.4).

    ``protected`` is the serialized protected header exactly as it appears in the message.
    Equal to ``deterministic_cbor.encode([...])`` of that array, written out directly because
    it is built on every verification.
    """
    return b"".join((_SIG_STRUCTURE_PREFIX, _bstr(protected), _bstr(external_aad), _bstr(payload)))


def _bstr(data: bytes) -> bytes:
    return deterministic_cbor.encode_head(2, len(data)) + data


def sign1(
    payload: bytes,
    signer: Signer,
    *,
    protected_header: Mapping[int, object],
    unprotected_header: Mapping[int, object] | None = None,
    external_aad: bytes = b"",
) -> bytes:
    """Sign ``payload`` and return the tagged COSE_Sign1 bytes (RFC 9052 §4.2, §4.4).

    The protected header is serialized with deterministic CBOR; an empty one becomes a
    zero-length byte string as RFC 9052 §3 requires. ``signer`` returns ``r || s`` for ECDSA,
    which is also COSE's signature form (RFC 9053 §2.1).
    """
    protected = deterministic_cbor.encode(protected_header) if protected_header else b""
    signature = signer.sign(sig_structure(protected, payload, external_aad))
    body = [protected, dict(unprotected_header or {}), payload, signature]
    return _TAG_BYTE + deterministic_cbor.encode(body)


def parse_sign1(data: bytes) -> Sign1:
    """Parse tagged COSE_Sign1 bytes without verifying anything.

    :raises deterministic_cbor.TruncatedCBORError: if the bytes end early.
    :raises deterministic_cbor.DeterministicCBORError: if they are not a deterministic,
        tagged COSE_Sign1 (``Sign1Error`` when the CBOR is fine but the shape is not).
    """
    if not data:
        raise deterministic_cbor.TruncatedCBORError("no bytes")
    if data[:1] != _TAG_BYTE:
        raise Sign1Error("not a tagged COSE_Sign1 (expected tag 18)")
    try:
        body = cbor2.loads(data[1:])
    except cbor2.CBORDecodeEOF as exc:
        raise deterministic_cbor.TruncatedCBORError("the COSE_Sign1 ends early") from exc
    except Exception as exc:  # cbor2 raises many types on hostile input; all mean "not CBOR".
        raise deterministic_cbor.DeterministicCBORError(
            f"not valid CBOR: {type(exc).__name__}"
        ) from exc
    if not isinstance(body, list | tuple) or len(body) != 4:
        raise Sign1Error("COSE_Sign1 must be an array of four items")
    protected, unprotected, payload, signature = body
    if not isinstance(protected, bytes):
        raise Sign1Error("protected header must be a byte string")
    if not isinstance(unprotected, Mapping):
        raise Sign1Error("unprotected header must be a map")
    if not isinstance(payload, bytes):
        raise Sign1Error("payload must be an embedded byte string")
    if not isinstance(signature, bytes):
        raise Sign1Error("signature must be a byte string")
    # The message must be exactly the deterministic encoding of what was read: no trailing
    # bytes, no indefinite lengths, no long-form lengths (RFC 8949 §4.2.1).
    unprotected_bytes = deterministic_cbor.encode(unprotected) if unprotected else b"\xa0"
    canonical = b"".join(
        (_SIGN1_PREFIX, _bstr(protected), unprotected_bytes, _bstr(payload), _bstr(signature))
    )
    if canonical != data:
        raise deterministic_cbor.DeterministicCBORError(
            "COSE_Sign1 is not in deterministic encoding or has trailing bytes"
        )
    protected_header: Mapping[object, object] = {}
    if protected:
        decoded = deterministic_cbor.decode(protected)
        if not isinstance(decoded, Mapping) or not decoded:
            raise Sign1Error("protected header must be a non-empty map or a zero-length string")
        protected_header = decoded
    return Sign1(protected, protected_header, unprotected, payload, signature)

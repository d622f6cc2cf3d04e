"""SHA-256 digest of a full licence record in deterministic CBOR (RFC 8949 §4.2.1).

The QR credential carries only the licence's key fields plus this digest. Anyone holding the
full record (from the licence PDF, the licence library API or a department system) recomputes
the digest and compares, which binds every field of the record to the signed credential.

Records are JSON-like: maps with text keys, arrays, text, integers, booleans and null. Amounts
and dates are text ("500万元人民币", "2019-03-15"), never floats. Text is hashed exactly as given,
so issuers store it in Unicode NFC.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Final

from licences import deterministic_cbor
from licences.errors import RecordDigestMismatchError

__all__ = ["DIGEST_SIZE", "check_record_digest", "encode_record", "record_digest"]

#: Bytes in a record digest (SHA-256).
DIGEST_SIZE: Final = 32


def encode_record(record: Mapping[str, object]) -> bytes:
    """The record's deterministic CBOR encoding, the exact input of :func:`record_digest`.

    :raises licences.deterministic_cbor.DeterministicCBORError: for values outside the data
        model (floats, non-text top-level keys, …).
    """
    if not all(isinstance(key, str) for key in record):
        raise deterministic_cbor.DeterministicCBORError("record keys must be text")
    return deterministic_cbor.encode(record)


def record_digest(record: Mapping[str, object]) -> bytes:
    """SHA-256 of :func:`encode_record` (32 bytes)."""
    return hashlib.sha256(encode_record(record)).digest()


def check_record_digest(record: Mapping[str, object], digest: bytes) -> None:
    """Raise :class:`RecordDigestMismatchError` unless ``record`` hashes to ``digest``."""
    if not hmac.compare_digest(record_digest(record), digest):
        raise RecordDigestMismatchError("the record's SHA-256 differs from the signed digest")

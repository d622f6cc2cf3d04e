"""What verifications of many documents may share: parsed validation data, and the
outcome of checking a CA's signature on it.

Documents sealed by Tongban carry the same CA certificates and, within a CRL's
lifetime, the same CRLs. Parsing them afresh, and verifying the CA's signatures on
them again, was most of a verification. Both caches are keyed by the exact bytes
involved, bounded, and safe to share between threads.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any
from typing import Final
from typing import TypeVar

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from pyhanko_certvalidator.sig_validate import DEFAULT_VALIDATION_CONTEXT
from pyhanko_certvalidator.sig_validate import DefaultSignatureValidator
from pyhanko_certvalidator.sig_validate import SignatureValidationContext

__all__ = ["RememberingSignatureValidator", "parsed_certificate", "parsed_crl", "parsed_ocsp"]

_MAX_ENTRIES: Final = 2048
_T = TypeVar("_T")


class _BoundedCache:
    def __init__(self, max_entries: int) -> None:
        self._entries: OrderedDict[Any, Any] = OrderedDict()
        self._max_entries = max_entries
        self._lock = threading.Lock()

    def get_or_make(self, key: Any, make: Callable[[], _T]) -> _T:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                found: _T = self._entries[key]
                return found
        value = make()
        with self._lock:
            self._entries[key] = value
            if len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        return value

    def contains(self, key: Any) -> bool:
        with self._lock:
            return key in self._entries

    def add(self, key: Any) -> None:
        self.get_or_make(key, lambda: True)


_parsed = _BoundedCache(_MAX_ENTRIES)
_verified = _BoundedCache(_MAX_ENTRIES)


def parsed_certificate(der: bytes) -> Any:
    """The asn1crypto certificate for ``der``, parsed once per process."""
    return _parsed.get_or_make(("certificate", der), lambda: asn1_x509.Certificate.load(der))


def parsed_crl(der: bytes) -> Any:
    """The asn1crypto CRL for ``der``, parsed once per process."""
    return _parsed.get_or_make(("crl", der), lambda: asn1_crl.CertificateList.load(der))


def parsed_ocsp(der: bytes) -> Any:
    """The asn1crypto OCSP response for ``der``, parsed once per process."""
    return _parsed.get_or_make(("ocsp", der), lambda: asn1_ocsp.OCSPResponse.load(der))


class RememberingSignatureValidator(DefaultSignatureValidator):
    """pyhanko-certvalidator's signature check, remembering signatures found valid.

    The key covers the signature, the signed bytes, the public key, the algorithm and
    its context, so only a check of exactly the same thing is skipped. Failures are
    never remembered.
    """

    def validate_signature(
        self,
        signature: bytes,
        signed_data: bytes,
        public_key_info: Any,
        signature_algorithm: Any,
        context: SignatureValidationContext = DEFAULT_VALIDATION_CONTEXT,
    ) -> None:
        key = hashlib.sha256(
            b"\x00".join(
                (
                    signature,
                    hashlib.sha256(signed_data).digest(),
                    public_key_info.dump(),
                    signature_algorithm.dump(),
                    repr(context).encode(),
                )
            )
        ).digest()
        if _verified.contains(key):
            return
        super().validate_signature(
            signature, signed_data, public_key_info, signature_algorithm, context
        )
        _verified.add(key)

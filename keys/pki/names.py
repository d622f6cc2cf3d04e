"""Distinguished names for CA, seal, TSA and OCSP certificates.

A seal certificate names its department (``O``) and the seal itself (``CN``, e.g.
浙江省市场监督管理局行政审批专用章), with the seal's registration code (印章编码) as
``serialNumber`` and the department's unified social credit code (统一社会信用代码,
GB 32100) as ``organizationIdentifier``. Upper bounds follow RFC 5280 appendix A.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from cryptography import x509
from cryptography.x509.oid import NameOID

from keys.pki.errors import NameInvalid

__all__ = ["AuthorityName", "SealSubject"]

_CREDIT_CODE: Final = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}")
_SEAL_CODE: Final = re.compile(r"[0-9]{1,20}")
_COUNTRY: Final = re.compile(r"[A-Z]{2}")


@dataclass(frozen=True)
class AuthorityName:
    """The subject of a CA, TSA or OCSP responder certificate."""

    common_name: str
    organization: str
    country: str = "CN"
    province: str | None = None

    def __post_init__(self) -> None:
        _check_text("common_name", self.common_name, 64)
        _check_text("organization", self.organization, 64)
        _check_country(self.country)
        if self.province is not None:
            _check_text("province", self.province, 128)

    def to_x509(self) -> x509.Name:
        """The name as an X.509 ``Name``, most significant attribute first."""
        attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, self.country)]
        if self.province is not None:
            attributes.append(x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, self.province))
        attributes += [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, self.organization),
            x509.NameAttribute(NameOID.COMMON_NAME, self.common_name),
        ]
        return x509.Name(attributes)


@dataclass(frozen=True)
class SealSubject:
    """Who a seal certificate speaks for: the department and the named seal."""

    department: str
    seal_name: str
    seal_code: str | None = None
    credit_code: str | None = None
    country: str = "CN"
    province: str | None = None
    locality: str | None = None

    def __post_init__(self) -> None:
        _check_text("department", self.department, 64)
        _check_text("seal_name", self.seal_name, 64)
        _check_country(self.country)
        if self.seal_code is not None and not _SEAL_CODE.fullmatch(self.seal_code):
            raise NameInvalid("seal_code must be 1 to 20 digits.", detail=repr(self.seal_code))
        if self.credit_code is not None and not _CREDIT_CODE.fullmatch(self.credit_code):
            raise NameInvalid(
                "credit_code must be an 18-character unified social credit code.",
                detail=repr(self.credit_code),
            )
        if self.province is not None:
            _check_text("province", self.province, 128)
        if self.locality is not None:
            _check_text("locality", self.locality, 128)

    def to_x509(self) -> x509.Name:
        """The name as an X.509 ``Name``, most significant attribute first."""
        attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, self.country)]
        if self.province is not None:
            attributes.append(x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, self.province))
        if self.locality is not None:
            attributes.append(x509.NameAttribute(NameOID.LOCALITY_NAME, self.locality))
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, self.department))
        if self.credit_code is not None:
            attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, self.credit_code))
        if self.seal_code is not None:
            attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, self.seal_code))
        attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, self.seal_name))
        return x509.Name(attributes)


def _check_text(field: str, value: str, upper_bound: int) -> None:
    if not value or value != value.strip():
        raise NameInvalid(f"{field} must be non-empty without surrounding spaces.")
    if len(value) > upper_bound:
        raise NameInvalid(f"{field} must be at most {upper_bound} characters.")
    if any(ord(ch) < 0x20 for ch in value):
        raise NameInvalid(f"{field} must not contain control characters.")


def _check_country(country: str) -> None:
    if not _COUNTRY.fullmatch(country):
        raise NameInvalid("country must be a two-letter ISO 3166 code.", detail=repr(country))

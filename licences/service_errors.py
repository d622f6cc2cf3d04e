"""Errors of the licence service (types, issuance, the library), mapped to HTTP by ``code``.

The QR credential core keeps its own tree in :mod:`licences.errors`; these are the service's::

    LicenceServiceError               licence_service_error     500
    ├── LicenceTypeInvalid            licence_type_invalid      400 (the definition is wrong)
    ├── LicenceTypeNotFound           licence_type_not_found    404
    ├── LicenceNotFound               licence_not_found         404
    ├── LicenceDataInvalid            licence_data_invalid      422 (names the field)
    ├── IssuerNotRegistered           licence_issuer_unknown    409
    ├── NotIssuingDepartment          licence_forbidden         403
    ├── StatusChangeInvalid           licence_status_conflict   409
    ├── IdempotencyKeyReused          idempotency_key_reused    422
    └── QRCodeNotFound                qr_code_not_found         422 (no QR in an image or PDF)
"""

from __future__ import annotations

from typing import ClassVar

from config.errors import TongbanError

__all__ = [
    "IdempotencyKeyReused",
    "IssuerNotRegistered",
    "LicenceDataInvalid",
    "LicenceNotFound",
    "LicenceServiceError",
    "LicenceTypeInvalid",
    "LicenceTypeNotFound",
    "NotIssuingDepartment",
    "QRCodeNotFound",
    "StatusChangeInvalid",
]


class LicenceServiceError(TongbanError):
    """Base of the licence service's errors."""

    code: ClassVar[str] = "licence_service_error"


class LicenceTypeInvalid(LicenceServiceError):
    """A licence type definition is malformed; the message names the member."""

    code = "licence_type_invalid"
    http_status = 400
    expose = True


class LicenceTypeNotFound(LicenceServiceError):
    code = "licence_type_not_found"
    http_status = 404
    expose = True


class LicenceNotFound(LicenceServiceError):
    code = "licence_not_found"
    http_status = 404
    expose = True


class LicenceDataInvalid(LicenceServiceError):
    """The licence data does not match the type's schema; the message names the field."""

    code = "licence_data_invalid"
    http_status = 422
    expose = True


class IssuerNotRegistered(LicenceServiceError):
    """The department has not been registered as a licence issuer."""

    code = "licence_issuer_unknown"
    http_status = 409
    expose = True


class NotIssuingDepartment(LicenceServiceError):
    """The caller's department may not issue or change this type or licence."""

    code = "licence_forbidden"
    http_status = 403
    expose = True


class StatusChangeInvalid(LicenceServiceError):
    """The change does not apply to the licence's status (e.g. reinstating a revoked one)."""

    code = "licence_status_conflict"
    http_status = 409
    expose = True


class IdempotencyKeyReused(LicenceServiceError):
    """An ``Idempotency-Key`` came back with a different request."""

    code = "idempotency_key_reused"
    http_status = 422
    expose = True


class QRCodeNotFound(LicenceServiceError):
    """No QR code could be read from the uploaded image or PDF."""

    code = "qr_code_not_found"
    http_status = 422
    expose = True

"""Errors of the signing service, each with a stable ``code`` for the web and CLI layers.

The message given to the constructor (or the class's ``public_message``) may be shown
to the caller; ``detail`` is for the log only::

    SigningError                    signing_error
    ├── ApprovalDataInvalid         approval_data_invalid      (field path in .field)
    ├── SealDesignInvalid           seal_design_invalid
    ├── SealImageInvalid            seal_image_invalid
    ├── FontUnavailable             font_unavailable
    ├── PDFUnreadable               pdf_unreadable
    ├── PDFEncrypted                pdf_encrypted
    ├── PDFTooLarge                 pdf_too_large
    ├── PDFNotSigned                pdf_not_signed
    ├── PlacementInvalid            seal_placement_invalid
    ├── SealCredentialsInvalid      seal_credentials_invalid
    ├── TimestampUnavailable        timestamp_unavailable
    ├── StampingFailed              stamping_failed
    ├── SealInvalid                 seal_invalid               (raised by require_valid)
    ├── SealNotFound                seal_not_found
    ├── SealExists                  seal_exists
    ├── SealNotActive               seal_not_active
    │   ├── SealSuspended           seal_suspended
    │   ├── SealRevoked             seal_revoked
    │   └── SealAwaitingCertificate seal_awaiting_certificate
    ├── SealStateInvalid            seal_state_invalid
    ├── DepartmentUnknown           department_unknown
    ├── ApplicantUnknown            applicant_unknown
    ├── ApprovalNotFound            approval_not_found
    ├── BatchNotFound               batch_not_found
    ├── RequestInvalid              request_invalid
    ├── IdempotencyKeyReused        idempotency_key_reused
    └── CANotReady                  ca_not_ready

Errors about the caller's own input (``expose``) show their message; the others show a
generic, localized title, and their ``detail`` goes to the log only.
"""

from __future__ import annotations

from typing import ClassVar

from config.errors import TongbanError

__all__ = [
    "ApplicantUnknown",
    "ApprovalDataInvalid",
    "ApprovalNotFound",
    "BatchNotFound",
    "CANotReady",
    "DepartmentUnknown",
    "FontUnavailable",
    "IdempotencyKeyReused",
    "PDFEncrypted",
    "PDFNotSigned",
    "PDFTooLarge",
    "PDFUnreadable",
    "PlacementInvalid",
    "RequestInvalid",
    "SealAwaitingCertificate",
    "SealCredentialsInvalid",
    "SealDesignInvalid",
    "SealExists",
    "SealImageInvalid",
    "SealInvalid",
    "SealNotActive",
    "SealNotFound",
    "SealRevoked",
    "SealStateInvalid",
    "SealSuspended",
    "SigningError",
    "StampingFailed",
    "TimestampUnavailable",
]


class SigningError(TongbanError):
    """Base of every error raised by :mod:`signing`."""

    code: ClassVar[str] = "signing_error"
    public_message: ClassVar[str] = "The signing service could not complete the request."

    def __init__(self, message: str | None = None, *, detail: str = "") -> None:
        super().__init__(message or self.public_message, detail=detail or None)


class ApprovalDataInvalid(SigningError):
    """The data for an approval template is missing a field or has a bad value."""

    code: ClassVar[str] = "approval_data_invalid"
    http_status: ClassVar[int] = 422
    expose: ClassVar[bool] = True
    public_message: ClassVar[str] = "The approval data is invalid."

    def __init__(self, field: str, message: str, *, detail: str = "") -> None:
        self.field = field
        super().__init__(f"{field}: {message}", detail=detail)


class SealDesignInvalid(SigningError):
    """A seal cannot be drawn as specified (size, text length, characters)."""

    code: ClassVar[str] = "seal_design_invalid"
    http_status: ClassVar[int] = 422
    expose: ClassVar[bool] = True
    public_message: ClassVar[str] = "The seal design is invalid."


class SealImageInvalid(SigningError):
    """An uploaded seal image is not a usable PNG."""

    code: ClassVar[str] = "seal_image_invalid"
    http_status: ClassVar[int] = 422
    expose: ClassVar[bool] = True
    public_message: ClassVar[str] = "The seal image must be a PNG of reasonable size."


class FontUnavailable(SigningError):
    """The embedded CJK font is not installed, or lacks a character the text needs."""

    code: ClassVar[str] = "font_unavailable"
    http_status: ClassVar[int] = 422
    expose: ClassVar[bool] = True
    public_message: ClassVar[str] = "The font for Chinese text is not available."


class PDFUnreadable(SigningError):
    """The input is not a PDF, or is too damaged to sign or verify."""

    code: ClassVar[str] = "pdf_unreadable"
    http_status: ClassVar[int] = 422
    expose: ClassVar[bool] = True
    public_message: ClassVar[str] = "The file is not a readable PDF."


class PDFEncrypted(SigningError):
    """The input PDF is encrypted; Tongban neither decrypts nor signs encrypted files."""

    code: ClassVar[str] = "pdf_encrypted"
    http_status: ClassVar[int] = 422
    expose: ClassVar[bool] = True
    public_message: ClassVar[str] = "Encrypted PDF files cannot be sealed or verified."


class PDFTooLarge(SigningError):
    """The input PDF exceeds the configured size limit."""

    code: ClassVar[str] = "pdf_too_large"
    http_status: ClassVar[int] = 413
    expose: ClassVar[bool] = True
    public_message: ClassVar[str] = "The PDF file is too large."


class PDFNotSigned(SigningError):
    """Verification was asked of a PDF that carries no signature."""

    code: ClassVar[str] = "pdf_not_signed"
    http_status: ClassVar[int] = 422
    expose: ClassVar[bool] = True
    public_message: ClassVar[str] = "The PDF carries no seal or signature."


class PlacementInvalid(SigningError):
    """The seal's page, position or anchor does not exist or lies off the page."""

    code: ClassVar[str] = "seal_placement_invalid"
    http_status: ClassVar[int] = 422
    expose: ClassVar[bool] = True
    public_message: ClassVar[str] = "The seal cannot be placed there."


class SealCredentialsInvalid(SigningError):
    """The seal's certificate does not match its key, or is not valid at signing time."""

    code: ClassVar[str] = "seal_credentials_invalid"
    http_status: ClassVar[int] = 409
    expose: ClassVar[bool] = True
    public_message: ClassVar[str] = "The seal's certificate cannot be used."


class TimestampUnavailable(SigningError):
    """The timestamp authority could not be reached or refused the request."""

    code: ClassVar[str] = "timestamp_unavailable"
    http_status: ClassVar[int] = 503
    expose: ClassVar[bool] = True
    public_message: ClassVar[str] = "The timestamp authority is unavailable."


class StampingFailed(SigningError):
    """Signing failed for a reason not covered by a more specific error."""

    code: ClassVar[str] = "stamping_failed"
    public_message: ClassVar[str] = "The document could not be sealed."


class SealInvalid(SigningError):
    """A verified document does not carry only valid, trusted, unaltered seals.

    One public message for every cause, so the error is no oracle; the report that
    :func:`signing.verify.require_valid` was given says what failed.
    """

    code: ClassVar[str] = "seal_invalid"
    http_status: ClassVar[int] = 422
    expose: ClassVar[bool] = True
    public_message: ClassVar[str] = "The document's seals are not valid."


class SealNotFound(SigningError):
    """No seal with that identifier (for this department)."""

    code: ClassVar[str] = "seal_not_found"
    http_status: ClassVar[int] = 404
    expose: ClassVar[bool] = True
    public_message: ClassVar[str] = "There is no such seal."


class SealExists(SigningError):
    """A seal with that identifier exists already."""

    code: ClassVar[str] = "seal_exists"
    http_status: ClassVar[int] = 409
    expose: ClassVar[bool] = True
    public_message: ClassVar[str] = "A seal with that identifier exists already."


class SealNotActive(SigningError):
    """The seal may not be used now."""

    code: ClassVar[str] = "seal_not_active"
    http_status: ClassVar[int] = 409
    expose: ClassVar[bool] = True
    public_message: ClassVar[str] = "The seal is not active."


class SealSuspended(SealNotActive):
    """The seal is suspended; an operator may resume it."""

    code: ClassVar[str] = "seal_suspended"
    public_message: ClassVar[str] = "The seal is suspended."


class SealRevoked(SealNotActive):
    """The seal is revoked, for good."""

    code: ClassVar[str] = "seal_revoked"
    public_message: ClassVar[str] = "The seal is revoked."


class SealAwaitingCertificate(SealNotActive):
    """The seal's certificate from an external CA has not been imported yet."""

    code: ClassVar[str] = "seal_awaiting_certificate"
    public_message: ClassVar[str] = "The seal has no certificate yet."


class SealStateInvalid(SigningError):
    """The seal's state does not allow that change (e.g. resuming a revoked seal)."""

    code: ClassVar[str] = "seal_state_invalid"
    http_status: ClassVar[int] = 409
    expose: ClassVar[bool] = True
    public_message: ClassVar[str] = "The seal's state does not allow that."


class DepartmentUnknown(SigningError):
    """The department named does not exist."""

    code: ClassVar[str] = "department_unknown"
    http_status: ClassVar[int] = 422
    expose: ClassVar[bool] = True
    public_message: ClassVar[str] = "There is no such department."


class ApplicantUnknown(SigningError):
    """The ``sub`` a department system named does not belong to a person it knows."""

    code: ClassVar[str] = "applicant_unknown"
    http_status: ClassVar[int] = 422
    expose: ClassVar[bool] = True
    public_message: ClassVar[str] = "The applicant is not known to this department system."


class ApprovalNotFound(SigningError):
    """No approval with that identifier that the caller may see."""

    code: ClassVar[str] = "approval_not_found"
    http_status: ClassVar[int] = 404
    expose: ClassVar[bool] = True
    public_message: ClassVar[str] = "There is no such approval."


class BatchNotFound(SigningError):
    """No batch with that identifier that the caller may see."""

    code: ClassVar[str] = "batch_not_found"
    http_status: ClassVar[int] = 404
    expose: ClassVar[bool] = True
    public_message: ClassVar[str] = "There is no such batch."


class RequestInvalid(SigningError):
    """The request is malformed: not JSON, a missing part, a bad parameter."""

    code: ClassVar[str] = "request_invalid"
    http_status: ClassVar[int] = 400
    expose: ClassVar[bool] = True
    public_message: ClassVar[str] = "The request is invalid."


class IdempotencyKeyReused(SigningError):
    """An Idempotency-Key was sent again with a different request."""

    code: ClassVar[str] = "idempotency_key_reused"
    http_status: ClassVar[int] = 422
    expose: ClassVar[bool] = True
    public_message: ClassVar[str] = "This Idempotency-Key was already used for a different request."


class CANotReady(SigningError):
    """The internal CA has not been set up (``tongban init`` does it)."""

    code: ClassVar[str] = "ca_not_ready"
    http_status: ClassVar[int] = 503
    public_message: ClassVar[str] = "The certificate authority is not set up; run `tongban init`."

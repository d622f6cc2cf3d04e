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
    └── SealInvalid                 seal_invalid               (raised by require_valid)
"""

from __future__ import annotations

from typing import ClassVar

from config.errors import TongbanError

__all__ = [
    "ApprovalDataInvalid",
    "FontUnavailable",
    "PDFEncrypted",
    "PDFNotSigned",
    "PDFTooLarge",
    "PDFUnreadable",
    "PlacementInvalid",
    "SealCredentialsInvalid",
    "SealDesignInvalid",
    "SealImageInvalid",
    "SealInvalid",
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
    public_message: ClassVar[str] = "The approval data is invalid."

    def __init__(self, field: str, message: str, *, detail: str = "") -> None:
        self.field = field
        super().__init__(f"{field}: {message}", detail=detail)


class SealDesignInvalid(SigningError):
    """A seal cannot be drawn as specified (size, text length, characters)."""

    code: ClassVar[str] = "seal_design_invalid"
    public_message: ClassVar[str] = "The seal design is invalid."


class SealImageInvalid(SigningError):
    """An uploaded seal image is not a usable PNG."""

    code: ClassVar[str] = "seal_image_invalid"
    public_message: ClassVar[str] = "The seal image must be a PNG of reasonable size."


class FontUnavailable(SigningError):
    """The embedded CJK font is not installed, or lacks a character the text needs."""

    code: ClassVar[str] = "font_unavailable"
    public_message: ClassVar[str] = "The font for Chinese text is not available."


class PDFUnreadable(SigningError):
    """The input is not a PDF, or is too damaged to sign or verify."""

    code: ClassVar[str] = "pdf_unreadable"
    public_message: ClassVar[str] = "The file is not a readable PDF."


class PDFEncrypted(SigningError):
    """The input PDF is encrypted; Tongban neither decrypts nor signs encrypted files."""

    code: ClassVar[str] = "pdf_encrypted"
    public_message: ClassVar[str] = "Encrypted PDF files cannot be sealed or verified."


class PDFTooLarge(SigningError):
    """The input PDF exceeds the configured size limit."""

    code: ClassVar[str] = "pdf_too_large"
    public_message: ClassVar[str] = "The PDF file is too large."


class PDFNotSigned(SigningError):
    """Verification was asked of a PDF that carries no signature."""

    code: ClassVar[str] = "pdf_not_signed"
    public_message: ClassVar[str] = "The PDF carries no seal or signature."


class PlacementInvalid(SigningError):
    """The seal's page, position or anchor does not exist or lies off the page."""

    code: ClassVar[str] = "seal_placement_invalid"
    public_message: ClassVar[str] = "The seal cannot be placed there."


class SealCredentialsInvalid(SigningError):
    """The seal's certificate does not match its key, or is not valid at signing time."""

    code: ClassVar[str] = "seal_credentials_invalid"
    public_message: ClassVar[str] = "The seal's certificate cannot be used."


class TimestampUnavailable(SigningError):
    """The timestamp authority could not be reached or refused the request."""

    code: ClassVar[str] = "timestamp_unavailable"
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
    public_message: ClassVar[str] = "The document's seals are not valid."

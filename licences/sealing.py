"""The port through which licence PDFs get the issuing department's electronic seal.

Sealing belongs to the signing service (``signing/``): its seals are database records with
keys, certificates and images, and it stamps PAdES signatures. The licence service only
needs "seal this PDF for department D", so it asks through :class:`LicenceSealer` and the
composition root supplies the implementation. Every licence PDF publishes the seal's
centre as the named destination :data:`SEAL_ANCHOR`, so a sealer can place the seal
without knowing the layout.
"""

from __future__ import annotations

from typing import Final
from typing import Protocol

__all__ = ["SEAL_ANCHOR", "LicenceSealer", "UnsealedPDF"]

#: The named destination (PDF catalog /Dests) at the seal's centre on a licence PDF.
SEAL_ANCHOR: Final = "seal-1"


class LicenceSealer(Protocol):
    """Seals a rendered licence PDF with an issuing department's electronic seal.

    ``seal_pdf`` returns the PDF with a PAdES signature whose visible seal is centred on the
    named destination :data:`SEAL_ANCHOR`. It raises a :class:`config.errors.TongbanError`
    (e.g. the department has no seal) rather than returning the PDF unsealed.
    """

    def seal_pdf(self, pdf: bytes, department_id: str) -> bytes:
        """The sealed PDF."""
        ...


class UnsealedPDF:
    """A sealer that seals nothing: for tests of layout only, never for issuing licences."""

    def seal_pdf(self, pdf: bytes, department_id: str) -> bytes:
        return pdf

"""Object identifiers Tongban assigns itself.

Tongban has no registered private enterprise number, so its own policies live under
the UUID arc ``2.25`` (ITU-T X.667 | ISO/IEC 9834-8): anyone may mint an OID there
from a fresh UUID without registration, and collisions are as unlikely as UUID ones.
"""

from __future__ import annotations

from typing import Final

from cryptography.x509 import ObjectIdentifier

__all__ = ["DOCUMENT_SIGNING_EKU", "TSA_POLICY"]

TSA_POLICY: Final = ObjectIdentifier("2.25.162997480187109576799141782025940690106")
"""The TSA policy (RFC 3161, section 2.4.2 ``policy``) under which Tongban timestamps."""

DOCUMENT_SIGNING_EKU: Final = ObjectIdentifier("1.3.6.1.5.5.7.3.36")
"""``id-kp-documentSigning`` (RFC 9336)."""

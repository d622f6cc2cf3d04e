"""PAdES signatures on PDFs, through pyHanko: stamping seals and reading signatures back.

This package is the only place in Tongban that imports pyHanko (an import-linter
contract keeps it so); everything it exposes is pyHanko-free dataclasses and bytes.
"""

import logging

from signing.pades import _hex_strings
from signing.pades._inspect import Appearance
from signing.pades._inspect import Coverage
from signing.pades._inspect import Modification
from signing.pades._inspect import RevocationFacts
from signing.pades._inspect import SignatureFacts
from signing.pades._inspect import TimestampFacts
from signing.pades._inspect import TrustAnchors
from signing.pades._inspect import inspect_signatures
from signing.pades._stamp import AtAnchor
from signing.pades._stamp import AtPosition
from signing.pades._stamp import Placement
from signing.pades._stamp import SealCredentials
from signing.pades._stamp import SealStamper
from signing.pades._stamp import ValidationMaterial

_hex_strings.install()
# pyHanko logs a traceback when a later revision changes content; Tongban reports that
# finding itself (Modification.OTHER), so the traceback would only be noise in the logs.
logging.getLogger("pyhanko.sign.diff_analysis.policies").setLevel(logging.ERROR)

__all__ = [
    "Appearance",
    "AtAnchor",
    "AtPosition",
    "Coverage",
    "Modification",
    "Placement",
    "RevocationFacts",
    "SealCredentials",
    "SealStamper",
    "SignatureFacts",
    "TimestampFacts",
    "TrustAnchors",
    "ValidationMaterial",
    "inspect_signatures",
]

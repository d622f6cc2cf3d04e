"""Helpers for OAuth error responses."""

from __future__ import annotations

import re
from typing import Final

#: RFC 6749 §5.2: error_description is limited to %x20-21 / %x23-5B / %x5D-7E.
_FORBIDDEN: Final = re.compile(r"[^\x20-\x21\x23-\x5b\x5d-\x7e]")


def safe_description(text: str) -> str:
    """``text`` made fit for ``error_description`` (quotes become apostrophes)."""
    return _FORBIDDEN.sub("", text.replace('"', "'"))[:300]

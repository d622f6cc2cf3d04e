"""Test vectors, loaded from files (pyca/cryptography's ``load_vectors_from_file``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent


def load_vectors(relative: str) -> Any:
    """Parse a JSON vector file below ``tests/vectors``."""
    return json.loads((HERE / relative).read_text(encoding="utf-8"))

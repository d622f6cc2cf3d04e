"""Run the ``openssl`` command line as an independent cross-check, or skip with a reason."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

OPENSSL = shutil.which("openssl")

requires_openssl = pytest.mark.skipif(
    OPENSSL is None, reason="openssl command line not installed (Debian package openssl)"
)


def openssl(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run ``openssl args...``; the caller checks ``returncode`` and output."""
    assert OPENSSL is not None
    return subprocess.run(
        [OPENSSL, *map(str, args)], capture_output=True, text=True, timeout=30, check=False
    )

"""Fixtures for the PKI tests: the fixed time and a small internal PKI."""

from __future__ import annotations

from datetime import datetime

import pytest
from pki_support import NOW
from pki_support import SoftwareSigner

from keys.pki import InternalPKI
from keys.pki import bootstrap_internal_pki


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture(scope="session")
def pki() -> InternalPKI:
    return bootstrap_internal_pki(
        root_signer=SoftwareSigner.generate(kid="root"),
        issuing_signer=SoftwareSigner.generate(kid="issuing"),
        tsa_signer=SoftwareSigner.generate(kid="tsa"),
        organization="浙江省大数据发展管理局",
        province="浙江省",
        base_url="https://tongban.example.gov.cn",
        now=NOW,
    )

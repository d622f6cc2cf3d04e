"""Fixtures for the licence core: fixed test keys, their trust entries and the example."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

import pytest
from licence_support import SoftwareSigner
from licence_support import example_claims
from licence_support import fixed_signer
from licence_support import trusted_key

from licences.codec import LicenceClaims
from licences.public_keys import TrustedKey

#: A moment inside the example licence's validity and after its issue.
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def es256_signer() -> SoftwareSigner:
    return fixed_signer("licence-es256")


@pytest.fixture
def eddsa_signer() -> SoftwareSigner:
    return fixed_signer("licence-eddsa")


@pytest.fixture
def forger_signer() -> SoftwareSigner:
    """A key nobody trusts; its JOSE kid copies the trusted ES256 key's."""
    return fixed_signer("untrusted-es256")


@pytest.fixture
def trust(es256_signer: SoftwareSigner, eddsa_signer: SoftwareSigner) -> dict[bytes, TrustedKey]:
    keys = [trusted_key(es256_signer), trusted_key(eddsa_signer)]
    return {key.cose_kid: key for key in keys}


@pytest.fixture
def claims() -> LicenceClaims:
    return example_claims()


@pytest.fixture
def now() -> datetime:
    return NOW

"""Offline verification of a licence QR code: no server, only the issuer's published files.

Inputs are the QR content (the URL or its digits), a trust list file (verified against
pinned root keys) and status list files. Only the codec, the status list, the trust list and
the public-key code are imported here: no database, no Flask, no key store.

The outcome follows draft-ietf-oauth-status-list §8.3: the credential is verified first
(anything wrong: *forged*, and none of its fields are returned); then its own validity
period (*not yet valid*, *expired*), and only then its status (*revoked*, *suspended*,
*valid*).

Usage::

    verifier = OfflineVerifier.from_files(
        "trust-list.jwt", ["status-7.jwt"], roots_file="roots.json", now=now
    )
    result = verifier.verify(scanned_text, now=now)
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from licences import codec
from licences.errors import CredentialError
from licences.errors import StatusListError
from licences.errors import StatusListMissingError
from licences.errors import TrustListError
from licences.errors import TrustListExpiredError
from licences.public_keys import TrustedKey
from licences.status_list import Status
from licences.status_list import StatusListToken
from licences.status_list import verify_status_list
from licences.trust_list import TrustList
from licences.trust_list import parse_root_keys
from licences.trust_list import verify_trust_list

__all__ = [
    "LicenceStatus",
    "OfflineResult",
    "OfflineVerifier",
    "load_roots",
    "load_status_list",
    "load_trust_list",
    "verify_offline",
]


class LicenceStatus(StrEnum):
    """What a verifier shows."""

    VALID = "valid"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    FORGED = "forged"


@dataclass(frozen=True)
class OfflineResult:
    """The outcome of one offline check.

    ``licence`` holds the verified fields and the issuer; it is ``None`` exactly when the
    status is FORGED, and ``reason`` then holds the precise error code (``tampered``,
    ``untrusted_key``, …). ``status_as_of`` is the ``iat`` of the status list consulted.
    """

    status: LicenceStatus
    checked_at: datetime
    licence: codec.VerifiedLicence | None = None
    reason: str | None = None
    status_as_of: datetime | None = None


_SHOWN_STATUS: dict[int, LicenceStatus] = {
    Status.VALID: LicenceStatus.VALID,
    Status.INVALID: LicenceStatus.REVOKED,
    Status.SUSPENDED: LicenceStatus.SUSPENDED,
}


class OfflineVerifier:
    """Verifies credentials against one trust list and any number of status lists.

    Files are verified once, when the verifier is built; each :meth:`verify` then costs one
    signature check plus parsing.
    """

    def __init__(self, trust_list: TrustList, status_lists: Iterable[StatusListToken] = ()) -> None:
        self._trust_list = trust_list
        self._status_lists = {token.uri: token for token in status_lists}

    @classmethod
    def from_files(
        cls,
        trust_list_file: str | Path,
        status_list_files: Iterable[str | Path],
        *,
        roots_file: str | Path,
        now: datetime,
    ) -> OfflineVerifier:
        """Load and verify a trust list and status lists, with roots pinned in ``roots_file``."""
        trust_list = load_trust_list(trust_list_file, roots=load_roots(roots_file), now=now)
        tokens = [
            load_status_list(path, trust_list=trust_list, now=now) for path in status_list_files
        ]
        return cls(trust_list, tokens)

    @property
    def trust_list(self) -> TrustList:
        """The verified trust list in use."""
        return self._trust_list

    def verify(self, qr_content: str | bytes, *, now: datetime) -> OfflineResult:
        """Check one scanned credential at time ``now``.

        :raises TrustListExpiredError: if the trust list expired: refresh it and try again.
        :raises StatusListMissingError: if no status list was loaded for the credential.
        :raises StatusListError: if the status list expired or cannot answer for the index.
        """
        if self._trust_list.is_expired(now):
            raise TrustListExpiredError(f"trust list expired at {self._trust_list.expires_at}")
        try:
            licence = codec.verify(qr_content, self._trust_list.by_cose_kid)
        except CredentialError as exc:
            return OfflineResult(LicenceStatus.FORGED, checked_at=now, reason=exc.code)
        claims = licence.claims
        if now < claims.not_before:
            return OfflineResult(LicenceStatus.NOT_YET_VALID, checked_at=now, licence=licence)
        if claims.not_after is not None and now > claims.not_after:
            return OfflineResult(LicenceStatus.EXPIRED, checked_at=now, licence=licence)
        token = self._status_lists.get(claims.status.uri)
        if token is None:
            raise StatusListMissingError(f"no status list loaded for {claims.status.uri}")
        value = token.status_of(claims.status.index, now=now)
        shown = _SHOWN_STATUS.get(value)
        if shown is None:
            raise StatusListError(f"status value {value} has no meaning for licences")
        return OfflineResult(shown, checked_at=now, licence=licence, status_as_of=token.issued_at)


def load_roots(path: str | Path) -> tuple[TrustedKey, ...]:
    """Read pinned trust-list root keys: ``{"keys": [entry, …]}`` in the trust-list entry form.

    :raises TrustListError: if the file is not such a document.
    """
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TrustListError(f"cannot read root keys from {path}: {exc}") from exc
    return parse_root_keys(document)


def load_trust_list(path: str | Path, *, roots: Sequence[TrustedKey], now: datetime) -> TrustList:
    """Read and verify a trust list JWT file."""
    try:
        token = Path(path).read_text(encoding="ascii").strip()
    except (OSError, ValueError) as exc:
        raise TrustListError(f"cannot read trust list {path}: {exc}") from exc
    return verify_trust_list(token, roots=roots, now=now)


def load_status_list(path: str | Path, *, trust_list: TrustList, now: datetime) -> StatusListToken:
    """Read and verify a status list JWT file with keys from ``trust_list``."""
    try:
        token = Path(path).read_text(encoding="ascii").strip()
    except (OSError, ValueError) as exc:
        raise StatusListError(f"cannot read status list {path}: {exc}") from exc
    return verify_status_list(token, keys=trust_list.by_kid, now=now)


def verify_offline(
    qr_content: str | bytes,
    *,
    trust_list_file: str | Path,
    status_list_files: Iterable[str | Path],
    roots_file: str | Path,
    now: datetime,
) -> OfflineResult:
    """One-shot offline check from files; see :class:`OfflineVerifier` for repeated checks."""
    verifier = OfflineVerifier.from_files(
        trust_list_file, status_list_files, roots_file=roots_file, now=now
    )
    return verifier.verify(qr_content, now=now)

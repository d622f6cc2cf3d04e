"""Verify the seals on a PDF and say, per seal and overall, whether they hold.

Every signature gets a :class:`SignatureReport`: who sealed (seal, department),
when (the signer's claim and the TSA's timestamp), whether the signed bytes are
intact and the signature mathematically valid, whether the chain leads to a trusted
root, what revocation data said, how much of the file the signature covers and
whether anything was added after it. Its :class:`Verdict` and the ``problems``
behind it follow from those facts; the document's verdict is the worst of them.

Checks never answer with a bare bool: :func:`verify_pdf` returns the report, and
:func:`require_valid` raises :class:`~signing.errors.SealInvalid` unless every seal
is valid.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID

from signing.errors import PDFNotSigned
from signing.errors import SealInvalid
from signing.pades import Appearance
from signing.pades import Coverage
from signing.pades import Modification
from signing.pades import SignatureFacts
from signing.pades import TrustAnchors
from signing.pades import inspect_signatures

__all__ = [
    "Problem",
    "RevocationReport",
    "SignatureReport",
    "TimestampReport",
    "TrustAnchors",
    "Verdict",
    "VerificationReport",
    "require_valid",
    "verify_pdf",
]


class Verdict(enum.Enum):
    """The outcome for one seal or the whole document (ETSI EN 319 102-1 indications)."""

    VALID = "valid"
    INVALID = "invalid"
    INDETERMINATE = "indeterminate"


class Problem(enum.Enum):
    """Why a seal is not valid; the value is a stable code for APIs and pages."""

    SIGNATURE_BROKEN = "signature_broken"
    COVERAGE_PARTIAL = "coverage_partial"
    MODIFIED_AFTER_SIGNING = "modified_after_signing"
    CERTIFICATE_REVOKED = "certificate_revoked"
    CERTIFICATE_EXPIRED = "certificate_expired"
    CERTIFICATE_UNTRUSTED = "certificate_untrusted"
    CHAIN_INVALID = "chain_invalid"
    REVOCATION_UNKNOWN = "revocation_unknown"
    TIMESTAMP_INVALID = "timestamp_invalid"
    TIMESTAMP_UNTRUSTED = "timestamp_untrusted"

    @property
    def verdict(self) -> Verdict:
        """INVALID for proven faults, INDETERMINATE when proof is missing."""
        return Verdict.INDETERMINATE if self in _INDETERMINATE else Verdict.INVALID

    @property
    def description(self) -> str:
        """A one-line English explanation."""
        return _DESCRIPTIONS[self]


_INDETERMINATE = frozenset(
    {
        Problem.CERTIFICATE_UNTRUSTED,
        Problem.CHAIN_INVALID,
        Problem.REVOCATION_UNKNOWN,
        Problem.TIMESTAMP_UNTRUSTED,
    }
)

_DESCRIPTIONS = {
    Problem.SIGNATURE_BROKEN: "The signed bytes were changed or the signature does not verify.",
    Problem.COVERAGE_PARTIAL: "The signature does not cover its whole revision of the file.",
    Problem.MODIFIED_AFTER_SIGNING: "Content was added to the document after it was sealed.",
    Problem.CERTIFICATE_REVOKED: "The seal's certificate was revoked before it was used.",
    Problem.CERTIFICATE_EXPIRED: "The seal's certificate was not valid when it was used.",
    Problem.CERTIFICATE_UNTRUSTED: "The seal's certificate does not lead to a trusted root.",
    Problem.CHAIN_INVALID: "The seal's certificate chain could not be validated.",
    Problem.REVOCATION_UNKNOWN: "No revocation data show the certificate was unrevoked.",
    Problem.TIMESTAMP_INVALID: "The signature timestamp is damaged or does not match.",
    Problem.TIMESTAMP_UNTRUSTED: "The signature timestamp's authority is not trusted.",
}

# AdES sub-indications (as pyHanko names them) and what they mean for a seal.
_TRUST_PROBLEMS = {
    "REVOKED": Problem.CERTIFICATE_REVOKED,
    "REVOKED_NO_POE": Problem.CERTIFICATE_REVOKED,
    "REVOKED_CA_NO_POE": Problem.CERTIFICATE_REVOKED,
    "EXPIRED": Problem.CERTIFICATE_EXPIRED,
    "NOT_YET_VALID": Problem.CERTIFICATE_EXPIRED,
    "OUT_OF_BOUNDS_NO_POE": Problem.CERTIFICATE_EXPIRED,
    "OUT_OF_BOUNDS_NOT_REVOKED": Problem.CERTIFICATE_EXPIRED,
    "NO_CERTIFICATE_CHAIN_FOUND": Problem.CERTIFICATE_UNTRUSTED,
    "TRY_LATER": Problem.REVOCATION_UNKNOWN,
    "REVOCATION_OUT_OF_BOUNDS_NO_POE": Problem.REVOCATION_UNKNOWN,
}


@dataclass(frozen=True)
class TimestampReport:
    """The RFC 3161 timestamp over a signature."""

    time: datetime
    authority: str
    intact: bool
    valid: bool
    trusted: bool


@dataclass(frozen=True)
class RevocationReport:
    """What revocation data said about the seal's chain at the validation time."""

    checked: bool
    revoked: bool
    revoked_at: datetime | None
    reason: str | None


@dataclass(frozen=True)
class SignatureReport:
    """The findings for one seal (signature) on the document."""

    field_name: str
    seal_name: str
    department: str | None
    certificate_serial: str
    certificate_issuer: str
    signing_time: datetime | None
    timestamp: TimestampReport | None
    validation_time: datetime
    intact: bool
    valid: bool
    trusted: bool
    chain: tuple[str, ...]
    revocation: RevocationReport
    coverage: str
    modification: str
    updated_after_signing: bool
    revision: int
    later_revisions: int
    verdict: Verdict
    problems: tuple[Problem, ...]
    appearance: Appearance | None = None


@dataclass(frozen=True)
class VerificationReport:
    """The findings for a document: one report per seal, and the overall verdict."""

    signatures: tuple[SignatureReport, ...]
    verdict: Verdict
    verified_at: datetime

    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable form: enums as their values, times in ISO 8601."""
        return {
            "verdict": self.verdict.value,
            "verified_at": self.verified_at.isoformat(),
            "signatures": [_signature_json(report) for report in self.signatures],
        }


def verify_pdf(pdf: bytes, trust: TrustAnchors, *, now: datetime) -> VerificationReport:
    """Verify every seal on ``pdf`` against ``trust`` as of ``now``.

    Raises :class:`~signing.errors.PDFNotSigned` for a PDF with no signature, and
    the PDF errors of :mod:`signing.errors` for files that cannot be read.
    """
    facts = inspect_signatures(pdf, trust, now=now)
    if not facts:
        raise PDFNotSigned
    reports = tuple(_report(fact) for fact in facts)
    return VerificationReport(signatures=reports, verdict=_worst(reports), verified_at=now)


def require_valid(report: VerificationReport) -> None:
    """Raise :class:`~signing.errors.SealInvalid` unless every seal is valid."""
    if report.verdict is not Verdict.VALID:
        failing = [
            f"{r.field_name}: {', '.join(p.value for p in r.problems)}"
            for r in report.signatures
            if r.verdict is not Verdict.VALID
        ]
        raise SealInvalid(detail="; ".join(failing))


def _report(fact: SignatureFacts) -> SignatureReport:
    problems = _problems(fact)
    verdict = _worst_problem(problems)
    certificate = fact.signer_certificate
    timestamp = fact.timestamp
    return SignatureReport(
        field_name=fact.field_name,
        seal_name=_name_part(certificate.subject, NameOID.COMMON_NAME)
        or certificate.subject.rfc4514_string(),
        department=_name_part(certificate.subject, NameOID.ORGANIZATION_NAME),
        certificate_serial=format(certificate.serial_number, "x"),
        certificate_issuer=certificate.issuer.rfc4514_string(),
        signing_time=fact.signer_reported_time,
        timestamp=(
            TimestampReport(
                time=timestamp.time,
                authority=timestamp.authority,
                intact=timestamp.intact,
                valid=timestamp.valid,
                trusted=timestamp.trusted,
            )
            if timestamp is not None
            else None
        ),
        validation_time=fact.validation_time,
        intact=fact.intact,
        valid=fact.valid,
        trusted=fact.trusted,
        chain=tuple(c.subject.rfc4514_string() for c in fact.chain),
        revocation=RevocationReport(
            checked=fact.revocation.checked,
            revoked=fact.revocation.revoked,
            revoked_at=fact.revocation.revoked_at,
            reason=fact.revocation.reason,
        ),
        coverage=fact.coverage.value,
        modification=fact.modification.value,
        updated_after_signing=fact.later_revisions > 0,
        revision=fact.revision,
        later_revisions=fact.later_revisions,
        verdict=verdict,
        problems=problems,
        appearance=fact.appearance,
    )


def _problems(fact: SignatureFacts) -> tuple[Problem, ...]:
    problems: list[Problem] = []
    if not (fact.intact and fact.valid):
        problems.append(Problem.SIGNATURE_BROKEN)
    if fact.coverage is Coverage.PARTIAL:
        problems.append(Problem.COVERAGE_PARTIAL)
    if fact.modification in (Modification.ANNOTATIONS, Modification.OTHER):
        problems.append(Problem.MODIFIED_AFTER_SIGNING)
    if fact.revocation.revoked:
        problems.append(Problem.CERTIFICATE_REVOKED)
    if fact.trust_problem is not None:
        mapped = _TRUST_PROBLEMS.get(fact.trust_problem.split(":")[0], Problem.CHAIN_INVALID)
        if mapped not in problems:
            problems.append(mapped)
    timestamp = fact.timestamp
    if timestamp is not None:
        if not (timestamp.intact and timestamp.valid):
            problems.append(Problem.TIMESTAMP_INVALID)
        elif not timestamp.trusted:
            problems.append(Problem.TIMESTAMP_UNTRUSTED)
    return tuple(problems)


def _worst_problem(problems: tuple[Problem, ...]) -> Verdict:
    if any(p.verdict is Verdict.INVALID for p in problems):
        return Verdict.INVALID
    return Verdict.INDETERMINATE if problems else Verdict.VALID


def _worst(reports: tuple[SignatureReport, ...]) -> Verdict:
    verdicts = {r.verdict for r in reports}
    for verdict in (Verdict.INVALID, Verdict.INDETERMINATE):
        if verdict in verdicts:
            return verdict
    return Verdict.VALID


def _name_part(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    attributes = name.get_attributes_for_oid(oid)
    return str(attributes[0].value) if attributes else None


def _signature_json(report: SignatureReport) -> dict[str, Any]:
    def when(value: datetime | None) -> str | None:
        return value.isoformat() if value is not None else None

    timestamp = report.timestamp
    return {
        "field_name": report.field_name,
        "seal_name": report.seal_name,
        "department": report.department,
        "certificate_serial": report.certificate_serial,
        "certificate_issuer": report.certificate_issuer,
        "signing_time": when(report.signing_time),
        "timestamp": (
            {
                "time": timestamp.time.isoformat(),
                "authority": timestamp.authority,
                "intact": timestamp.intact,
                "valid": timestamp.valid,
                "trusted": timestamp.trusted,
            }
            if timestamp is not None
            else None
        ),
        "validation_time": report.validation_time.isoformat(),
        "intact": report.intact,
        "valid": report.valid,
        "trusted": report.trusted,
        "chain": list(report.chain),
        "revocation": {
            "checked": report.revocation.checked,
            "revoked": report.revocation.revoked,
            "revoked_at": when(report.revocation.revoked_at),
            "reason": report.revocation.reason,
        },
        "coverage": report.coverage,
        "modification": report.modification,
        "updated_after_signing": report.updated_after_signing,
        "revision": report.revision,
        "later_revisions": report.later_revisions,
        "verdict": report.verdict.value,
        "problems": [problem.value for problem in report.problems],
        "appearance": (
            {"page": report.appearance.page + 1, "rect": list(report.appearance.rect)}
            if report.appearance is not None
            else None
        ),
    }

"""Read every signature of a PDF back and validate it with pyHanko, as plain facts.

Each signature is validated as of its own signature timestamp when it has one (the
time a TSA vouches for), else as of ``now``: the chain must have been valid then,
and revocation information must show the certificate unrevoked then. Revocation
data come from the document's /DSS, the signature itself and whatever fresher CRLs
or OCSP responses the caller passes; data issued after the signing time still
count (``retroactive_revinfo``), so a revocation published later but dated before
the signature is found. Tongban's CA never uses certificate holds, which is what
makes that safe. Judging the facts is :mod:`signing.verify`'s job.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils import misc
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.errors import ValidationInfoReadingError
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.policy_decl import CertRevTrustPolicy
from pyhanko_certvalidator.policy_decl import RevocationCheckingPolicy
from pyhanko_certvalidator.policy_decl import RevocationCheckingRule

from signing.errors import PDFUnreadable
from signing.errors import PlacementInvalid
from signing.pades._documents import DEFAULT_MAX_PDF_BYTES
from signing.pades._documents import _page_index
from signing.pades._documents import open_for_reading
from signing.pades._documents import page_box
from signing.pades._reuse import RememberingSignatureValidator
from signing.pades._reuse import parsed_certificate
from signing.pades._reuse import parsed_crl
from signing.pades._reuse import parsed_ocsp

__all__ = [
    "Appearance",
    "Coverage",
    "Modification",
    "RevocationFacts",
    "SignatureFacts",
    "TimestampFacts",
    "TrustAnchors",
    "inspect_signatures",
]

_REVOCATION_REQUIRED: Final = CertRevTrustPolicy(
    RevocationCheckingPolicy(
        ee_certificate_rule=RevocationCheckingRule.CRL_OR_OCSP_REQUIRED,
        intermediate_ca_cert_rule=RevocationCheckingRule.CRL_OR_OCSP_REQUIRED,
    ),
    retroactive_revinfo=True,
)
# Used only to tell "no revocation data" apart from other chain failures, which
# pyHanko reports alike (CERTIFICATE_CHAIN_GENERAL_FAILURE).
_REVOCATION_IF_PRESENT: Final = CertRevTrustPolicy(
    RevocationCheckingPolicy(
        ee_certificate_rule=RevocationCheckingRule.CHECK_IF_DECLARED_SOFT,
        intermediate_ca_cert_rule=RevocationCheckingRule.CHECK_IF_DECLARED_SOFT,
    ),
    retroactive_revinfo=True,
)
_MISSING_REVOCATION_DATA: Final = "TRY_LATER"
_SIGNATURE_VALIDATOR: Final = RememberingSignatureValidator()

# A seal certificate may assert either usage; ours assert both.
_SEAL_KEY_USAGE: Final = KeyUsageConstraints(
    key_usage=frozenset({"digital_signature", "non_repudiation"}), match_all_key_usages=False
)


@dataclass(frozen=True)
class TrustAnchors:
    """What a verifier trusts, and revocation data it has beyond what documents carry.

    :param roots: trusted root certificates (Tongban's root, configured external roots)
    :param crls: DER CRLs, e.g. the CA's current ones, to catch later revocations
    :param ocsp_responses: DER OCSP responses, likewise
    """

    roots: tuple[x509.Certificate, ...]
    crls: tuple[bytes, ...] = ()
    ocsp_responses: tuple[bytes, ...] = ()


class Coverage(enum.Enum):
    """How much of the file a signature's byte range covers."""

    ENTIRE_FILE = "entire_file"
    ENTIRE_REVISION = "entire_revision"
    PARTIAL = "partial"


class Modification(enum.Enum):
    """What changed in the document after a signature, by pyHanko's diff analysis."""

    NONE = "none"
    VALIDATION_DATA = "validation_data"
    SIGNATURES_AND_FORMS = "signatures_and_forms"
    ANNOTATIONS = "annotations"
    OTHER = "other"


@dataclass(frozen=True)
class TimestampFacts:
    """The RFC 3161 signature timestamp of one signature."""

    time: datetime
    authority: str
    intact: bool
    valid: bool
    trusted: bool
    problem: str | None


@dataclass(frozen=True)
class RevocationFacts:
    """What the revocation data said about the signer's chain at the validation time."""

    checked: bool
    revoked: bool
    revoked_at: datetime | None = None
    reason: str | None = None
    ca_revoked: bool = False


@dataclass(frozen=True)
class Appearance:
    """Where a signature is shown: its page (0-based), its box and the page's box, in points."""

    page: int
    rect: tuple[float, float, float, float]
    page_box: tuple[float, float, float, float]


@dataclass(frozen=True)
class SignatureFacts:
    """Everything pyHanko established about one signature, without judgment."""

    field_name: str
    signer_certificate: x509.Certificate
    signer_reported_time: datetime | None
    digest_algorithm: str
    signature_mechanism: str
    intact: bool
    valid: bool
    trusted: bool
    trust_problem: str | None
    chain: tuple[x509.Certificate, ...]
    revocation: RevocationFacts
    timestamp: TimestampFacts | None
    validation_time: datetime
    coverage: Coverage
    modification: Modification
    revision: int
    later_revisions: int
    appearance: Appearance | None = None


def inspect_signatures(
    pdf: bytes,
    trust: TrustAnchors,
    *,
    now: datetime,
    max_bytes: int = DEFAULT_MAX_PDF_BYTES,
) -> tuple[SignatureFacts, ...]:
    """Validate every signature in ``pdf``; returns one :class:`SignatureFacts` each.

    Raises :class:`~signing.errors.PDFUnreadable` (or ``PDFEncrypted``,
    ``PDFTooLarge``) when the file cannot be examined at all. A damaged signature is
    reported in its facts, not raised.
    """
    reader = open_for_reading(pdf, max_bytes=max_bytes)
    try:
        embedded = list(reader.embedded_regular_signatures)
        material = _document_material(reader)
        return asyncio.run(_inspect_all(reader, embedded, material, trust, now))
    except (misc.PdfError, ValueError, KeyError, IndexError) as exc:
        raise PDFUnreadable(
            "The PDF's signatures could not be read.", detail=f"{type(exc).__name__}: {exc}"
        ) from exc


@dataclass(frozen=True)
class _Material:
    certificates: list[Any]
    crls: list[Any]
    ocsps: list[Any]


def _document_material(reader: Any) -> _Material:
    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except ValidationInfoReadingError:
        return _Material([], [], [])
    return _Material(
        certificates=[parsed_certificate(ref.get_object().data) for ref in dss.certs.values()],
        crls=[parsed_crl(ref.get_object().data) for ref in dss.crls],
        ocsps=[parsed_ocsp(ref.get_object().data) for ref in dss.ocsps],
    )


async def _inspect_all(
    reader: Any,
    embedded: Sequence[Any],
    material: _Material,
    trust: TrustAnchors,
    now: datetime,
) -> tuple[SignatureFacts, ...]:
    roots = [parsed_certificate(root.public_bytes(Encoding.DER)) for root in trust.roots]
    # The caller's current CRLs are often the very ones the document embeds: parsed
    # objects are shared per bytes, so identity removes the duplicates pyHanko would
    # otherwise check twice.
    crls = _distinct([*material.crls, *(parsed_crl(c) for c in trust.crls)])
    ocsps = _distinct([*material.ocsps, *(parsed_ocsp(r) for r in trust.ocsp_responses)])
    total_revisions = reader.xrefs.total_revisions
    facts = []

    async def validate(signature: Any, moment: datetime, policy: CertRevTrustPolicy) -> Any:
        # One context for the signature and its timestamp: they share the chain up
        # to the issuing CA, so paths and revocation checks are reused.
        context = ValidationContext(
            trust_roots=roots,
            other_certs=material.certificates,
            crls=crls,
            ocsps=ocsps,
            moment=moment,
            revinfo_policy=policy,
            allow_fetching=False,
            signature_validator=_SIGNATURE_VALIDATOR,
        )
        return await async_validate_pdf_signature(
            signature,
            signer_validation_context=context,
            ts_validation_context=context,
            key_usage_settings=_SEAL_KEY_USAGE,
        )

    for signature in embedded:
        moment = _claimed_timestamp(signature) or now
        try:
            status = await validate(signature, moment, _REVOCATION_REQUIRED)
            missing_revocation = False
            if _chain_failed(status):
                lenient = await validate(signature, moment, _REVOCATION_IF_PRESENT)
                if lenient.trusted:
                    status, missing_revocation = lenient, True
        except SignatureValidationError as exc:
            facts.append(_broken(signature, moment, total_revisions, str(exc)))
            continue
        found = _facts(signature, status, moment, total_revisions, missing_revocation)
        facts.append(dataclasses.replace(found, appearance=_appearance(reader, signature)))
    return tuple(facts)


def _appearance(reader: Any, signature: Any) -> Appearance | None:
    """The visible widget of a signature field, if it has one directly on a page."""
    try:
        field = signature.sig_field
        if "/Rect" not in field or "/P" not in field:
            return None
        x1, y1, x2, y2 = (float(v) for v in field["/Rect"])
        rect = (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))
        if rect[2] - rect[0] < 1 or rect[3] - rect[1] < 1:
            return None
        page_ref = field.raw_get("/P")
        page = _page_index(reader, page_ref)
        return Appearance(page, rect, page_box(reader, page, page_ref))
    except (PlacementInvalid, misc.PdfError, KeyError, IndexError, TypeError, ValueError):
        return None


def _distinct(items: list[Any]) -> list[Any]:
    seen: set[int] = set()
    kept = []
    for item in items:
        if id(item) not in seen:
            seen.add(id(item))
            kept.append(item)
    return kept


def _chain_failed(status: Any) -> bool:
    problem = status.trust_problem_indic
    return problem is not None and problem.name == "CERTIFICATE_CHAIN_GENERAL_FAILURE"


def _claimed_timestamp(signature: Any) -> datetime | None:
    """The time in the signature's timestamp token, before anyone has checked it."""
    for token in extract_tst_data_iter(signature.signer_info, signed=False):
        tst_info = token["encap_content_info"]["content"].parsed
        claimed: datetime = tst_info["gen_time"].native
        return claimed
    return None


def _facts(
    signature: Any,
    status: Any,
    moment: datetime,
    total_revisions: int,
    missing_revocation: bool,
) -> SignatureFacts:
    """Facts from pyHanko's status; ``missing_revocation``: only revocation data lacked."""
    path = status.validation_path
    chain = tuple(_to_x509(c) for c in reversed(list(path))) if path is not None else ()
    details = status.revocation_details
    problem = status.trust_problem_indic
    problem_name = _MISSING_REVOCATION_DATA if missing_revocation else None
    if problem is not None and not missing_revocation:
        problem_name = problem.name
    checked = (path is not None and problem is None) or details is not None
    revocation = RevocationFacts(
        checked=checked and not missing_revocation,
        revoked=details is not None,
        revoked_at=details.revocation_date if details is not None else None,
        reason=details.revocation_reason.native if details is not None else None,
        ca_revoked=bool(details.ca_revoked) if details is not None else False,
    )
    return SignatureFacts(
        field_name=signature.field_name,
        signer_certificate=_to_x509(status.signing_cert),
        signer_reported_time=status.signer_reported_dt,
        digest_algorithm=status.md_algorithm,
        signature_mechanism=status.pkcs7_signature_mechanism,
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted and not missing_revocation,
        trust_problem=problem_name,
        chain=chain,
        revocation=revocation,
        timestamp=_timestamp_facts(status.timestamp_validity),
        validation_time=moment,
        coverage=_coverage(status.coverage),
        modification=_modification(status.modification_level),
        revision=signature.signed_revision + 1,
        later_revisions=total_revisions - 1 - signature.signed_revision,
    )


def _broken(signature: Any, moment: datetime, total_revisions: int, reason: str) -> SignatureFacts:
    """Facts for a signature pyHanko refused to process (bad structure or algorithm)."""
    try:
        certificate = _to_x509(signature.signer_cert)
    except (ValueError, KeyError, TypeError) as exc:
        raise PDFUnreadable(detail=f"signature without a signer certificate: {exc}") from exc
    return SignatureFacts(
        field_name=signature.field_name,
        signer_certificate=certificate,
        signer_reported_time=signature.self_reported_timestamp,
        digest_algorithm=signature.md_algorithm,
        signature_mechanism=signature.signer_info["signature_algorithm"]["algorithm"].native,
        intact=False,
        valid=False,
        trusted=False,
        trust_problem=f"FORMAT_FAILURE: {reason}",
        chain=(),
        revocation=RevocationFacts(checked=False, revoked=False),
        timestamp=None,
        validation_time=moment,
        coverage=Coverage.PARTIAL,
        modification=Modification.OTHER,
        revision=signature.signed_revision + 1,
        later_revisions=total_revisions - 1 - signature.signed_revision,
    )


def _timestamp_facts(status: Any) -> TimestampFacts | None:
    if status is None:
        return None
    problem = status.trust_problem_indic
    return TimestampFacts(
        time=status.timestamp,
        authority=_to_x509(status.signing_cert).subject.rfc4514_string(),
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        problem=problem.name if problem is not None else None,
    )


def _coverage(level: SignatureCoverageLevel | None) -> Coverage:
    if level == SignatureCoverageLevel.ENTIRE_FILE:
        return Coverage.ENTIRE_FILE
    if level == SignatureCoverageLevel.ENTIRE_REVISION:
        return Coverage.ENTIRE_REVISION
    return Coverage.PARTIAL


def _modification(level: ModificationLevel | None) -> Modification:
    return (
        {
            ModificationLevel.NONE: Modification.NONE,
            ModificationLevel.LTA_UPDATES: Modification.VALIDATION_DATA,
            ModificationLevel.FORM_FILLING: Modification.SIGNATURES_AND_FORMS,
            ModificationLevel.ANNOTATIONS: Modification.ANNOTATIONS,
        }.get(level, Modification.OTHER)
        if level is not None
        else Modification.OTHER
    )


def _to_x509(certificate: Any) -> x509.Certificate:
    return x509.load_der_x509_certificate(certificate.dump())

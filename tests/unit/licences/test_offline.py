"""The offline verifier: every outcome, from files, without any server-side package."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import textwrap
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest
from licence_support import OPERATOR
from licence_support import SoftwareSigner
from licence_support import example_licence
from licence_support import fixed_signer
from licence_support import trusted_key

from licences import codec
from licences.codec import LicenceClaims
from licences.errors import StatusListError
from licences.errors import StatusListExpiredError
from licences.errors import StatusListMissingError
from licences.errors import TrustListError
from licences.errors import TrustListExpiredError
from licences.offline import LicenceStatus
from licences.offline import OfflineVerifier
from licences.offline import load_roots
from licences.offline import verify_offline
from licences.status_list import Status
from licences.status_list import StatusList
from licences.status_list import sign_status_list
from licences.status_list import verify_status_list
from licences.trust_list import TrustList
from licences.trust_list import root_keys_document
from licences.trust_list import sign_trust_list
from licences.trust_list import verify_trust_list

BASE_URL = example_licence()["credential"]["base_url"]
PUBLISHED = datetime(2026, 6, 1, tzinfo=UTC)
NOW = PUBLISHED + timedelta(hours=2)


@pytest.fixture
def trust_list_token(es256_signer: SoftwareSigner, eddsa_signer: SoftwareSigner) -> str:
    return sign_trust_list(
        [trusted_key(es256_signer), trusted_key(eddsa_signer)],
        issuer="https://licence.example.gov.cn",
        signer=fixed_signer("trust-root"),
        issued_at=PUBLISHED,
        expires_at=PUBLISHED + timedelta(days=30),
    )


@pytest.fixture
def trust_list(trust_list_token: str) -> TrustList:
    roots = [trusted_key(fixed_signer("trust-root"), issuer=OPERATOR)]
    return verify_trust_list(trust_list_token, roots=roots, now=NOW)


def status_list_token(
    claims: LicenceClaims, status: Status, signer: SoftwareSigner, *, hours: int = 24
) -> str:
    status_list = StatusList(size=1 << 20, bits=2)
    status_list[claims.status.index] = status
    return sign_status_list(
        status_list,
        uri=claims.status.uri,
        signer=signer,
        issued_at=PUBLISHED,
        expires_at=PUBLISHED + timedelta(hours=hours),
        ttl=3600,
    )


def verifier_for(
    trust_list: TrustList, claims: LicenceClaims, status: Status, signer: SoftwareSigner
) -> OfflineVerifier:
    token = verify_status_list(
        status_list_token(claims, status, signer), keys=trust_list.by_kid, now=NOW
    )
    return OfflineVerifier(trust_list, [token])


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        (Status.VALID, LicenceStatus.VALID),
        (Status.INVALID, LicenceStatus.REVOKED),
        (Status.SUSPENDED, LicenceStatus.SUSPENDED),
    ],
)
def test_status_from_the_list(
    status: Status,
    shown: LicenceStatus,
    es256_signer: SoftwareSigner,
    claims: LicenceClaims,
    trust_list: TrustList,
) -> None:
    verifier = verifier_for(trust_list, claims, status, es256_signer)
    result = verifier.verify(codec.encode(claims, es256_signer, BASE_URL), now=NOW)
    assert result.status is shown
    assert result.licence is not None
    assert result.licence.claims == claims
    assert result.licence.issuer_name == "杭州市西湖区市场监督管理局"
    assert (result.checked_at, result.status_as_of, result.reason) == (NOW, PUBLISHED, None)


@pytest.mark.parametrize(
    ("change", "shown"),
    [
        ({"not_after": datetime(2026, 5, 31, tzinfo=UTC)}, LicenceStatus.EXPIRED),
        (
            {"not_before": datetime(2026, 7, 1, tzinfo=UTC), "not_after": None},
            LicenceStatus.NOT_YET_VALID,
        ),
    ],
)
def test_validity_period_comes_before_status(
    change: dict[str, datetime | None],
    shown: LicenceStatus,
    es256_signer: SoftwareSigner,
    claims: LicenceClaims,
    trust_list: TrustList,
) -> None:
    changed = dataclasses.replace(claims, **change)  # type: ignore[arg-type]
    # Revoked in the list, yet an expired licence shows as expired (draft §8.3).
    verifier = verifier_for(trust_list, changed, Status.INVALID, es256_signer)
    result = verifier.verify(codec.encode(changed, es256_signer, BASE_URL), now=NOW)
    assert result.status is shown
    assert result.status_as_of is None


def test_forged_credentials_show_no_fields(
    forger_signer: SoftwareSigner,
    es256_signer: SoftwareSigner,
    claims: LicenceClaims,
    trust_list: TrustList,
) -> None:
    verifier = verifier_for(trust_list, claims, Status.VALID, es256_signer)
    for content, reason in [
        (codec.encode(claims, forger_signer, BASE_URL), "untrusted_key"),
        (codec.encode(claims, es256_signer, BASE_URL)[:-9], "truncated"),
        ("https://licence.example.gov.cn/v/0299", "bad_version"),
        ("not a licence", "malformed"),
    ]:
        result = verifier.verify(content, now=NOW)
        assert (result.status, result.reason, result.licence) == (
            LicenceStatus.FORGED,
            reason,
            None,
        )


def test_missing_or_stale_status_lists_are_errors_not_verdicts(
    es256_signer: SoftwareSigner, claims: LicenceClaims, trust_list: TrustList
) -> None:
    url = codec.encode(claims, es256_signer, BASE_URL)
    with pytest.raises(StatusListMissingError):
        OfflineVerifier(trust_list).verify(url, now=NOW)
    verifier = verifier_for(trust_list, claims, Status.VALID, es256_signer)
    with pytest.raises(StatusListExpiredError):
        verifier.verify(url, now=PUBLISHED + timedelta(hours=24))


def test_an_unregistered_status_value_is_an_error(
    es256_signer: SoftwareSigner, claims: LicenceClaims, trust_list: TrustList
) -> None:
    verifier = verifier_for(trust_list, claims, 3, es256_signer)  # type: ignore[arg-type]
    with pytest.raises(StatusListError, match="no meaning"):
        verifier.verify(codec.encode(claims, es256_signer, BASE_URL), now=NOW)


def test_an_expired_trust_list_stops_verification(
    es256_signer: SoftwareSigner, claims: LicenceClaims, trust_list: TrustList
) -> None:
    verifier = verifier_for(trust_list, claims, Status.VALID, es256_signer)
    with pytest.raises(TrustListExpiredError):
        verifier.verify(codec.encode(claims, es256_signer, BASE_URL), now=NOW + timedelta(days=31))


@pytest.fixture
def published_files(
    tmp_path: Path, trust_list_token: str, claims: LicenceClaims, eddsa_signer: SoftwareSigner
) -> dict[str, Path]:
    roots = root_keys_document([trusted_key(fixed_signer("trust-root"), issuer=OPERATOR)])
    files = {
        "roots": tmp_path / "roots.json",
        "trust": tmp_path / "trust-list.jwt",
        "status": tmp_path / "status-3.jwt",
    }
    files["roots"].write_text(json.dumps(roots), encoding="utf-8")
    files["trust"].write_text(trust_list_token + "\n", encoding="ascii")
    files["status"].write_text(
        status_list_token(claims, Status.SUSPENDED, eddsa_signer), encoding="ascii"
    )
    return files


def test_verify_offline_from_files(
    published_files: dict[str, Path], es256_signer: SoftwareSigner, claims: LicenceClaims
) -> None:
    result = verify_offline(
        codec.encode(claims, es256_signer, BASE_URL),
        trust_list_file=published_files["trust"],
        status_list_files=[published_files["status"]],
        roots_file=published_files["roots"],
        now=NOW,
    )
    assert result.status is LicenceStatus.SUSPENDED


def test_unreadable_files_are_named(published_files: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    with pytest.raises(TrustListError, match=r"bad\.json"):
        load_roots(tmp_path / "bad.json")
    with pytest.raises(TrustListError, match=r"missing\.jwt"):
        OfflineVerifier.from_files(
            tmp_path / "missing.jwt", [], roots_file=published_files["roots"], now=NOW
        )
    with pytest.raises(StatusListError, match=r"missing\.jwt"):
        OfflineVerifier.from_files(
            published_files["trust"],
            [tmp_path / "missing.jwt"],
            roots_file=published_files["roots"],
            now=NOW,
        )


def test_offline_verifier_imports_no_server_code() -> None:
    program = textwrap.dedent(
        """
        import json
        import sys
        import licences.offline
        loaded = {name.split(".")[0] for name in sys.modules}
        forbidden = {"flask", "sqlalchemy", "redis", "psycopg", "store", "audit",
                     "tongban", "idp", "signing", "qrcode", "PIL"}
        # keys.jose (public-key JOSE code) is allowed; the key store is not.
        stores = {n for n in sys.modules if n in ("keys.keystore", "keys.models")}
        print(json.dumps(sorted((loaded & forbidden) | stores)))
        print(json.dumps(sorted(n for n in sys.modules if n.startswith("licences."))))
        """
    )
    output = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert output[0] == "[]"
    allowed = {
        "licences._jose",
        "licences._numeric_date",
        "licences.claims",
        "licences.codec",
        "licences.cose_sign1",
        "licences.decimal_digits",
        "licences.deterministic_cbor",
        "licences.errors",
        "licences.offline",
        "licences.public_keys",
        "licences.record_digest",
        "licences.status_list",
        "licences.trust_list",
    }
    assert set(json.loads(output[1])) <= allowed

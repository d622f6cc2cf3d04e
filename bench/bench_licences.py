"""Benchmark the licence service: issuance per second (QR and sealed PDF included) and
offline verifications per second beside the raw sign/verify rates of the same key.

    python bench/bench_licences.py [--seconds 3] [--rounds 3]

Issuance runs the real service on SQLite in a temporary data directory: schema check,
status-list position, COSE signature, QR matrix and images (rendered once, stored), PDF
rendering with the QR printed on it, a PAdES B-LT seal with an RFC 3161 timestamp (the
signing service with the department's seal from the database, as ``tongban serve`` wires
it), history and audit rows. One process, one thread: the rate is per core. Offline verification uses
:class:`licences.offline.OfflineVerifier` with the trust and status lists the service
published, against the same ES256 key whose raw rates are measured in the same run.
Each figure is the best of the rounds (background load on a shared machine).

Targets (issue 7): issuance ≥ 25/s per core; offline verification ≥ 60 % of the raw
verify rate; the example business licence at QR version ≤ 15 at ECC M.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from config.load import load  # noqa: E402
from idp.departments import add_department  # noqa: E402
from keys.master import generate_master_key  # noqa: E402
from licences import codec  # noqa: E402
from licences import qr  # noqa: E402
from licences.licence_types import example_types  # noqa: E402
from licences.offline import OfflineVerifier  # noqa: E402
from licences.render import LicenceSheet  # noqa: E402
from licences.render import render_licence_pdf  # noqa: E402
from licences.service import licence_purpose  # noqa: E402
from licences.status_list import verify_status_list  # noqa: E402
from licences.trust_list import parse_root_keys  # noqa: E402
from licences.trust_list import verify_trust_list  # noqa: E402
from tongban.bootstrap import initialise  # noqa: E402
from tongban.licence_wiring import SigningServiceSealer  # noqa: E402
from tongban.licence_wiring import build_licence_service  # noqa: E402
from tongban.runtime import build_runtime  # noqa: E402
from tongban.services import build_signing  # noqa: E402

EXAMPLE = ROOT / "tests" / "vectors" / "licences" / "business-licence.json"
ISSUER = "杭州市西湖区市场监督管理局"
ECDSA = ec.ECDSA(hashes.SHA256())


def rate(operation: Callable[[], object], seconds: float, rounds: int) -> float:
    """Operations per second: the best of ``rounds`` timed runs of ``seconds`` each."""
    best = 0.0
    for _ in range(rounds):
        count = 0
        start = time.perf_counter()
        deadline = start + seconds
        while True:
            operation()
            count += 1
            now = time.perf_counter()
            if now >= deadline:
                break
        best = max(best, count / (now - start))
    return best


def example() -> tuple[str, str, dict[str, Any]]:
    record = json.loads(EXAMPLE.read_text(encoding="utf-8"))["record"]
    skip = ("licence_type", "licence_id", "holder", "registration_authority_code")
    data = {k: v for k, v in record.items() if k not in skip}
    return record["holder"]["uscc"], record["holder"]["name"], data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="tongban-bench-"))
    env = {
        "TONGBAN_DATA_DIR": str(folder / "var"),
        "TONGBAN_MASTER_KEY": generate_master_key(),
        "TONGBAN_ISSUER": "https://licence.example.gov.cn",
        "TONGBAN_LOG__LEVEL": "WARNING",
    }
    initialise(env)
    runtime = build_runtime(load(env), env)
    keys = runtime.keys
    signing = build_signing(runtime)
    add_department(runtime.db, "scjgj", ISSUER, name_en=None, now=datetime.now(UTC), actor="b")
    signing.seals.create(
        "scjgj", purpose="证照专用章", code="3301060012345", now=datetime.now(UTC), actor="bench"
    )
    sealer = SigningServiceSealer(signing)
    service = build_licence_service(runtime, signing)
    now = datetime.now(UTC)
    for licence_type in example_types():
        service.put_type(licence_type.definition, now=now, actor="bench")
    service.register_issuer(
        "scjgj", name=ISSUER, credit_code="11330106MB1C586785", now=now, actor="bench"
    )
    code, name, data = example()

    def issue() -> Any:
        return service.issue(
            type_id="business_licence",
            department_id="scjgj",
            holder_kind="entity",
            holder_code=code,
            holder_name=name,
            data=data,
            now=datetime.now(UTC),
            actor="bench",
        )

    first = issue()  # Warms the font, the seal and the caches.
    licence_type = service.get_type("business_licence")
    matrix = qr.make_qr(first.credential, error_correction="M")
    sheet = LicenceSheet(
        first.id, code, name, data, ISSUER, first.issued_at, first.not_before, first.not_after, 1
    )
    pdf = render_licence_pdf(licence_type, sheet, matrix)
    issued = rate(issue, args.seconds, args.rounds)
    parts = {
        "QR matrix (make_qr)": rate(lambda: qr.make_qr(first.credential), 1.0, args.rounds),
        "QR PNG + SVG": rate(
            lambda: (qr.render_png(matrix, module_px=6), qr.render_svg(matrix)), 1.0, args.rounds
        ),
        "PDF render": rate(
            lambda: render_licence_pdf(licence_type, sheet, matrix), 1.0, args.rounds
        ),
        "PDF seal (PAdES + TSA)": rate(lambda: sealer.seal_pdf(pdf, "scjgj"), 1.0, args.rounds),
    }

    signer = keys.active(licence_purpose("scjgj"))
    public = signer.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    message = b"x" * 300
    raw = signer.sign(message)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    raw_sign = rate(lambda: signer.sign(message), args.seconds, args.rounds)
    raw_verify = rate(lambda: public.verify(der, message, ECDSA), args.seconds, args.rounds)

    trust = verify_trust_list(
        service.trust_list(now).token, roots=parse_root_keys(service.roots_document()), now=now
    )
    tokens = [
        verify_status_list(service.status_list(n, now).token, keys=trust.by_kid, now=now)
        for n in service.status_list_ids()
    ]
    verifier = OfflineVerifier(trust, tokens)
    check_time = datetime.now(UTC)
    assert verifier.verify(first.credential, now=check_time).status == "valid"
    offline = rate(
        lambda: verifier.verify(first.credential, now=check_time), args.seconds, args.rounds
    )
    online = rate(lambda: service.check(first.credential, now=check_time), 1.0, args.rounds)
    cose = codec.decode(first.credential).message

    print(f"Licence benchmark, best of {args.rounds} x {args.seconds:g} s, one core, SQLite")
    print()
    print("| operation | per second | note |")
    print("| --- | ---: | --- |")
    print(
        f"| **issue** (schema, position, sign, QR, PDF, seal, store) | **{issued:,.1f}** | target ≥ 25 |"
    )
    for label, value in parts.items():
        print(f"| · {label} | {value:,.0f} | {1000 / value:.1f} ms |")
    print(f"| raw ES256 sign, same key (Signer port) | {raw_sign:,.0f} | |")
    print(f"| raw ES256 verify, same key (cryptography) | {raw_verify:,.0f} | |")
    print(
        f"| **offline verify** (OfflineVerifier) | **{offline:,.0f}** | "
        f"**{100 * offline / raw_verify:.0f} % of raw verify** (target ≥ 60 %) |"
    )
    print(f"| online check (verify page: verify + database) | {online:,.0f} | |")
    print()
    print(
        f"Example business licence: {len(first.credential)} characters, COSE_Sign1 "
        f"{len(cose.payload) + 84} bytes, QR version {matrix.version} at ECC M (target ≤ 15)."
    )
    runtime.db.dispose()


if __name__ == "__main__":
    main()

"""Benchmark the licence QR credential: raw ES256 beside encode, offline verify and QR render.

    python bench/bench_licence_codec.py [--seconds 1.0] [--rounds 5]

Each operation runs for ``--seconds`` per round; rounds of all operations are interleaved
and the best round counts, so background load on a shared machine skews the ratios less.
Target (issue 7): offline verification at least 60 % of the raw verify rate of the same
key; the example business licence at QR version 15 or lower at ECC M.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

import cryptography
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from licences import codec  # noqa: E402
from licences import qr  # noqa: E402
from licences.codec import LicenceClaims  # noqa: E402
from licences.codec import StatusReference  # noqa: E402
from licences.offline import OfflineVerifier  # noqa: E402
from licences.public_keys import Issuer  # noqa: E402
from licences.public_keys import TrustedKey  # noqa: E402
from licences.public_keys import public_key_to_jwk  # noqa: E402
from licences.record_digest import record_digest  # noqa: E402
from licences.status_list import StatusList  # noqa: E402
from licences.status_list import sign_status_list  # noqa: E402
from licences.status_list import verify_status_list  # noqa: E402
from licences.trust_list import sign_trust_list  # noqa: E402
from licences.trust_list import verify_trust_list  # noqa: E402

EXAMPLE = ROOT / "tests" / "vectors" / "licences" / "business-licence.json"
NOW = datetime(2026, 6, 1, tzinfo=UTC)
ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())


class BenchSigner:
    """A software ES256 signer implementing the keys.signer.Signer port."""

    def __init__(self, kid: str) -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        self.ec_public_key = self._key.public_key()
        self.kid = kid
        self.alg = "ES256"

    def public_key(self) -> PublicKeyTypes:
        return self._key.public_key()

    def public_jwk(self) -> dict[str, Any]:
        return {**public_key_to_jwk(self.public_key()), "kid": self.kid, "alg": self.alg}

    def sign(self, data: bytes) -> bytes:
        r, s = decode_dss_signature(self._key.sign(data, ECDSA_SHA256))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def example_claims() -> tuple[LicenceClaims, str]:
    example = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    record, inputs = example["record"], example["credential"]
    claims = LicenceClaims(
        licence_id=record["licence_id"],
        holder_code=record["holder"]["uscc"],
        holder_name=record["holder"]["name"],
        not_before=datetime.fromisoformat(inputs["not_before"]),
        not_after=datetime.fromisoformat(inputs["not_after"]),
        issued_at=datetime.fromisoformat(inputs["issued_at"]),
        record_digest=record_digest(record),
        status=StatusReference(inputs["status_index"], inputs["status_uri"]),
    )
    return claims, inputs["base_url"]


def rate(operation: Callable[[], object], seconds: float) -> float:
    """Calls per second of ``operation`` over about ``seconds``."""
    count, started = 0, time.perf_counter()
    deadline = started + seconds
    while True:
        for _ in range(16):
            operation()
        count += 16
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="per operation per round")
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()

    claims, base_url = example_claims()
    signer, root = BenchSigner("bench-licence"), BenchSigner("bench-root")
    department = Issuer("杭州市西湖区市场监督管理局", "11330106MB1C586785")
    key = TrustedKey(
        signer.kid, "ES256", signer.ec_public_key, department, NOW - timedelta(days=900)
    )
    root_key = TrustedKey(
        root.kid, "ES256", root.ec_public_key, department, NOW - timedelta(days=1)
    )
    trust_list = verify_trust_list(
        sign_trust_list([key], issuer=base_url, signer=root, issued_at=NOW),
        roots=[root_key],
        now=NOW,
    )
    status_list = StatusList(size=1 << 20, bits=2)
    token = sign_status_list(
        status_list, uri=claims.status.uri, signer=signer, issued_at=NOW, ttl=3600
    )
    verifier = OfflineVerifier(
        trust_list, [verify_status_list(token, keys=trust_list.by_kid, now=NOW)]
    )

    url = codec.encode(claims, signer, base_url)
    assert verifier.verify(url, now=NOW).status == "valid"
    message = codec.decode(url).message
    to_be_signed = message.to_be_signed(codec.EXTERNAL_AAD)
    der_signature = signer._key.sign(to_be_signed, ECDSA_SHA256)
    public_key = signer.ec_public_key
    matrix = qr.make_qr(url, error_correction="M")

    operations: dict[str, Callable[[], object]] = {
        "raw ES256 sign (cryptography)": lambda: signer._key.sign(to_be_signed, ECDSA_SHA256),
        "raw ES256 verify (cryptography)": lambda: public_key.verify(
            der_signature, to_be_signed, ECDSA_SHA256
        ),
        "encode (claims -> signed URL)": lambda: codec.encode(claims, signer, base_url),
        "offline verify (URL -> status)": lambda: verifier.verify(url, now=NOW),
        "QR matrix (segments + mask)": lambda: qr.make_qr(url),
        "QR render (matrix + PNG)": lambda: qr.render_png(qr.make_qr(url), module_px=4),
        "PNG only (from a matrix)": lambda: qr.render_png(matrix, module_px=4),
    }
    best = dict.fromkeys(operations, 0.0)
    for _ in range(arguments.rounds):
        for name, operation in operations.items():
            best[name] = max(best[name], rate(operation, arguments.seconds))

    ratio = best["offline verify (URL -> status)"] / best["raw ES256 verify (cryptography)"]
    print(
        f"Python {platform.python_version()}, cryptography {cryptography.__version__}, "
        f"{platform.machine()}; best of {arguments.rounds} x {arguments.seconds:g} s, 1 core"
    )
    print(f"{'operation':36s} {'per second':>12s}")
    for name, per_second in best.items():
        print(f"{name:36s} {per_second:12,.0f}")
    print(f"{'offline verify / raw verify':36s} {ratio:12.0%}   (target >= 60%)")
    print(f"{'example licence: URL characters':36s} {len(url):12d}")
    print(f"{'example licence: QR version (ECC M)':36s} {matrix.version:12d}   (target <= 15)")


if __name__ == "__main__":
    main()

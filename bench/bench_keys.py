"""Key signing rate per algorithm, and JWKS render time.

Each figure is printed beside the raw limit measured in the same run: the rate at
which ``cryptography`` alone signs with the same key. Run: ``make bench``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import rate
from _timing import table
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import padding

from config.settings import KeySettings
from keys.algorithms import ALGORITHMS
from keys.jose import sign_jwt
from keys.jose import verify_jwt
from keys.keystore import KeyStore
from keys.master import generate_master_key
from keys.master import parse_master_keys
from store.db import Database
from store.migrate import upgrade
from tongban.runtime import MIGRATIONS

CLAIMS = {
    "iss": "https://id.example.gov.cn",
    "sub": "a1b2c3",
    "aud": "rp",
    "scope": "openid",
    "client_id": "rp",
    "jti": "x" * 22,
    "iat": 1_790_000_000,
    "exp": 4_000_000_000,
}


def raw_sign(key: object, alg: str) -> object:
    if alg == "ES256":
        return lambda: key.sign(b"x" * 200, ec.ECDSA(hashes.SHA256()))  # type: ignore[attr-defined]
    if alg == "RS256":
        return lambda: key.sign(b"x" * 200, padding.PKCS1v15(), hashes.SHA256())  # type: ignore[attr-defined]
    return lambda: key.sign(b"x" * 200)  # type: ignore[attr-defined]


def main() -> None:
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/bench.sqlite3")
        upgrade(db, MIGRATIONS)
        master = parse_master_keys(generate_master_key(), "bench")
        store = KeyStore(db, master, KeySettings(cache_seconds=300))
        rows = []
        for alg in ALGORITHMS:
            purpose = f"bench-{alg.lower()}"
            store.ensure(purpose, now, alg=alg)
            signer = store.active(purpose)
            private = signer._key  # type: ignore[attr-defined]  # the raw limit, for comparison
            raw = rate(raw_sign(private, alg))  # type: ignore[arg-type]
            via_port = rate(lambda s=signer: s.sign(b"x" * 200))  # type: ignore[misc]
            token = sign_jwt(signer, CLAIMS)
            jwt_rate = rate(lambda s=signer: sign_jwt(s, CLAIMS))  # type: ignore[misc]
            key = signer.public_key()
            verify = rate(
                lambda t=token, k=key, a=alg: verify_jwt(t, lambda _kid: (k, a), audience="rp")
            )  # type: ignore[misc]
            rows.append(
                [
                    alg,
                    f"{raw:,.0f}",
                    f"{via_port:,.0f}",
                    f"{via_port / raw:.0%}",
                    f"{jwt_rate:,.0f}",
                    f"{jwt_rate / raw:.0%}",
                    f"{verify:,.0f}",
                ]
            )
        print("Signing rate per algorithm (operations/s, one core)")
        print(
            table(
                ["alg", "raw sign", "Signer.sign", "of raw", "sign_jwt", "of raw", "verify_jwt"],
                rows,
            )
        )

        # JWKS: cold (read + parse from the database) versus the cached bytes served.
        store.rotate("bench-es256", now)
        cold_times = []
        for _ in range(50):
            store._published.clear()
            start = time.perf_counter()
            store.jwks("bench-es256")
            cold_times.append(time.perf_counter() - start)
        warm = rate(lambda: store.jwks("bench-es256"))
        cold_ms = sorted(cold_times)[len(cold_times) // 2] * 1000
        print()
        print("JWKS render (3 published ES256 keys)")
        print(
            table(
                ["path", "time", "rate/s"],
                [
                    [
                        "cold: query + parse + serialise",
                        f"{cold_ms:.2f} ms",
                        f"{1000 / cold_ms:,.0f}",
                    ],
                    ["cached bytes", f"{1e6 / warm:.2f} µs", f"{warm:,.0f}"],
                ],
            )
        )
        db.dispose()


if __name__ == "__main__":
    main()

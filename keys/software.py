"""The software adapter of the :class:`~keys.signer.Signer` port."""

from __future__ import annotations

from typing import Any

from keys.algorithms import PrivateKey
from keys.algorithms import PublicKey
from keys.algorithms import check_algorithm
from keys.algorithms import sign_raw
from keys.jose import public_jwk


class SoftwareSigner:
    """A private key held in process memory, decrypted once from the key store."""

    def __init__(self, kid: str, alg: str, private_key: PrivateKey) -> None:
        self._kid = kid
        self._alg = check_algorithm(alg)
        self._key = private_key
        self._jwk = public_jwk(self.public_key(), kid=kid, alg=self._alg)

    def __repr__(self) -> str:
        return f"SoftwareSigner(kid={self._kid!r}, alg={self._alg!r})"

    @property
    def kid(self) -> str:
        return self._kid

    @property
    def alg(self) -> str:
        return self._alg

    def public_key(self) -> PublicKey:
        return self._key.public_key()

    def public_jwk(self) -> dict[str, Any]:
        return dict(self._jwk)

    def sign(self, data: bytes) -> bytes:
        return sign_raw(self._key, self._alg, data)

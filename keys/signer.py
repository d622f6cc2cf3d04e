"""The signing port: what every other package may ask of a key.

Private key material never leaves ``keys/``. Callers hold a :class:`Signer`, which can
sign bytes and describe its public half, so a software key today and a PKCS#11 key
tomorrow look the same to ``idp/``, ``signing/`` and ``licences/``.
"""

from __future__ import annotations

from typing import Any
from typing import Protocol
from typing import runtime_checkable

from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes


@runtime_checkable
class Signer(Protocol):
    """A private key that signs, identified by ``kid``.

    ``sign`` returns the signature in the JOSE/COSE wire form for ``alg``:
    raw ``r || s`` for ECDSA (ES256: 64 bytes), PKCS#1 v1.5 for RS256 and the
    64-byte Ed25519 signature for EdDSA. Adapters that need another form (CMS wants
    DER-encoded ECDSA signatures) convert it themselves.
    """

    @property
    def kid(self) -> str:
        """The key identifier published in JWKS and trust lists."""
        ...

    @property
    def alg(self) -> str:
        """The JOSE algorithm name: ``ES256``, ``RS256`` or ``EdDSA``."""
        ...

    def public_key(self) -> PublicKeyTypes:
        """The public half, as a ``cryptography`` key object."""
        ...

    def public_jwk(self) -> dict[str, Any]:
        """The public half as a JWK (RFC 7517) with ``kid``, ``alg`` and ``use``."""
        ...

    def sign(self, data: bytes) -> bytes:
        """Sign ``data`` (the algorithm hashes it) and return the raw signature."""
        ...

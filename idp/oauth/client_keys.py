"""A client's public keys: inline ``jwks`` or fetched from ``jwks_uri`` and cached.

Used to verify private_key_jwt client assertions (RFC 7523) and signed request
objects (RFC 9101). A remote set is cached for ``CACHE_SECONDS``; an unknown ``kid``
triggers one early re-fetch at most every ``REFETCH_SECONDS``, so a client's key
rotation is picked up without letting anyone make us fetch in a loop.
"""

from __future__ import annotations

import threading
import time
from typing import Any
from typing import Final

import httpx

from idp.clients import Client
from keys.algorithms import PublicKey
from keys.errors import UnsupportedAlgorithm
from keys.jose import public_key_from_jwk

CACHE_SECONDS: Final = 300.0
REFETCH_SECONDS: Final = 30.0
MAX_BYTES: Final = 64 * 1024
TIMEOUT: Final = 3.0
#: JWK kty/crv → the one JOSE algorithm we verify with that key.
ALG_FOR_KEY: Final[dict[tuple[Any, Any], str]] = {
    ("EC", "P-256"): "ES256",
    ("RSA", None): "RS256",
    ("OKP", "Ed25519"): "EdDSA",
}


class ClientKeyError(Exception):
    """The client's keys cannot be had, or none fits the token."""


class ClientKeys:
    def __init__(self, *, http: httpx.Client | None = None) -> None:
        self._http = http or httpx.Client(timeout=TIMEOUT, follow_redirects=False)
        self._cache: dict[str, tuple[float, float, list[dict[str, Any]]]] = {}
        self._lock = threading.Lock()

    def key_for(self, client: Client, kid: str | None, alg: str | None) -> tuple[PublicKey, str]:
        """The client's key with ``kid`` (or its only key) and the algorithm it verifies.

        The algorithm comes from the key, never from the token: a token that names
        another algorithm is refused.
        """
        for refetch in (False, True):
            keys = self._keys(client, refetch=refetch)
            candidates = [k for k in keys if kid is None or k.get("kid") == kid]
            candidates = [k for k in candidates if k.get("use", "sig") == "sig"]
            if kid is None and len(candidates) > 1:
                raise ClientKeyError("the token has no kid and the client has several keys")
            if candidates:
                jwk = candidates[0]
                key_alg = ALG_FOR_KEY.get((jwk.get("kty"), jwk.get("crv")))
                if key_alg is None:
                    raise ClientKeyError("the client's key type is not supported")
                if jwk.get("alg") not in (None, key_alg) or (alg is not None and alg != key_alg):
                    raise ClientKeyError(f"the token's alg does not fit the client's {key_alg} key")
                try:
                    return public_key_from_jwk(jwk, key_alg), key_alg
                except (ValueError, UnsupportedAlgorithm):
                    raise ClientKeyError("the client's key is not a valid public JWK") from None
            if client.jwks is not None:
                break
        raise ClientKeyError(f"no key {kid!r} among the client's keys")

    def _keys(self, client: Client, *, refetch: bool) -> list[dict[str, Any]]:
        if client.jwks is not None:
            return [k for k in client.jwks.get("keys", []) if isinstance(k, dict)]
        if client.jwks_uri is None:
            raise ClientKeyError("the client has no registered keys")
        now = time.monotonic()
        cached = self._cache.get(client.jwks_uri)
        if cached is not None:
            expires, fetched, keys = cached
            if now < expires and not (refetch and now - fetched > REFETCH_SECONDS):
                return keys
        keys = self._fetch(client.jwks_uri)
        with self._lock:
            self._cache[client.jwks_uri] = (now + CACHE_SECONDS, now, keys)
        return keys

    def _fetch(self, uri: str) -> list[dict[str, Any]]:
        try:
            with self._http.stream("GET", uri, headers={"Accept": "application/json"}) as response:
                if response.status_code != 200:
                    raise ClientKeyError(f"jwks_uri answered {response.status_code}")
                body = b""
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_BYTES:
                        raise ClientKeyError("jwks_uri document is too large")
        except httpx.HTTPError as exc:
            raise ClientKeyError(f"jwks_uri unreachable: {type(exc).__name__}") from None
        try:
            document = httpx.Response(200, content=body).json()
        except ValueError:
            raise ClientKeyError("jwks_uri did not return JSON") from None
        keys = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(keys, list):
            raise ClientKeyError("jwks_uri did not return a JWK Set")
        return [k for k in keys if isinstance(k, dict)]

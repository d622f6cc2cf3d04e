"""``private_key_jwt`` client authentication (RFC 7523 §2.2, OpenID Connect Core §9).

Stricter than Authlib's own: the ``aud`` must be exactly our issuer or the endpoint
URL (a value that merely contains the issuer, or a list with other audiences, is
refused), the assertion must carry a ``jti`` that has not been seen before (kept in
the ephemeral store until the assertion expires), and it may live at most
``MAX_LIFETIME`` seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from typing import Final

from authlib.oauth2.rfc6749 import InvalidClientError

from idp.clients import Client
from idp.oauth.client_keys import ClientKeyError
from idp.oauth.client_keys import ClientKeys
from idp.oauth.errors import safe_description
from keys.jose import JWTError
from keys.jose import unverified_claims
from keys.jose import unverified_header
from keys.jose import verify_jwt
from store.ephemeral import EphemeralStore

ASSERTION_TYPE: Final = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MAX_LIFETIME: Final = 600
LEEWAY: Final = 30


class PrivateKeyJWT:
    """An Authlib client-auth method: ``register_client_auth_method("private_key_jwt", ...)``."""

    def __init__(
        self,
        *,
        issuer: str,
        endpoint_urls: Callable[[], set[str]],
        keys: ClientKeys,
        replay: EphemeralStore,
    ) -> None:
        self._issuer = issuer
        self._endpoint_urls = endpoint_urls
        self._keys = keys
        self._replay = replay

    def __call__(self, query_client: Callable[[str], Client | None], request: Any) -> Client | None:
        form = request.form
        assertion = form.get("client_assertion")
        if form.get("client_assertion_type") != ASSERTION_TYPE or not assertion:
            return None
        try:
            claimed = unverified_claims(assertion)
            header = unverified_header(assertion)
        except JWTError:
            raise InvalidClientError(description="client_assertion is not a JWT") from None
        client_id = claimed.get("sub")
        if not isinstance(client_id, str) or claimed.get("iss") != client_id:
            raise InvalidClientError(
                description="client_assertion iss and sub must be the client_id"
            )
        if form.get("client_id") not in (None, client_id):
            raise InvalidClientError(description="client_id does not match the assertion")
        client = query_client(client_id)
        if client is None or client.token_endpoint_auth_method != "private_key_jwt":
            raise InvalidClientError(description="client authentication failed")
        try:
            key, alg = self._keys.key_for(client, header.get("kid"), header.get("alg"))
            claims = verify_jwt(
                assertion,
                lambda _kid: (key, alg),
                leeway=LEEWAY,
                require=("iss", "sub", "aud", "exp", "jti"),
            )
        except (ClientKeyError, JWTError) as exc:
            raise InvalidClientError(
                description=safe_description(f"client_assertion rejected: {exc}")
            ) from None
        self._check_audience(claims.get("aud"))
        now = int(time.time())
        exp = int(claims["exp"])
        if exp - now > MAX_LIFETIME:
            raise InvalidClientError(description="client_assertion lives too long")
        jti = str(claims["jti"])
        if not jti or len(jti) > 200:
            raise InvalidClientError(description="client_assertion jti is missing or too long")
        if not self._replay.add(f"jti:{client_id}:{jti}", b"1", ttl=max(1, exp - now + LEEWAY)):
            raise InvalidClientError(description="client_assertion was used before")
        return client

    def _check_audience(self, aud: Any) -> None:
        allowed = {self._issuer, *self._endpoint_urls()}
        values = aud if isinstance(aud, list) else [aud]
        if len(values) != 1 or not isinstance(values[0], str) or values[0] not in allowed:
            raise InvalidClientError(
                description="client_assertion aud must be exactly the issuer or this endpoint"
            )

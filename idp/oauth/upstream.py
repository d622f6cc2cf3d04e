"""The client side of OpenID Connect, for logging in through an upstream provider
(OpenID Connect Core §3.1, the authorization code flow; Discovery §4; RFC 7636 PKCE).

Authlib's requests client builds the authorization URL (S256 challenge, ``state``,
``nonce``) and redeems the code with ``client_secret_basic``. The ID token is checked
here (§3.1.3.7) through :func:`keys.jose.verify_jwt`, with the upstream's JWKS: the key
is chosen by ``kid`` and fixes the algorithm, so a token cannot pick ``none``, an HMAC
or another key type. What this module returns is plain values; mapping the person to
a local account is :mod:`idp.federation`'s.

Traps worked around (Authlib 1.x):

* ``client_secret_basic`` is sent without the form-encoding RFC 6749 §2.3.1 requires
  (and a non-Latin-1 secret raises); :func:`_encode_client_secret_basic` encodes both
  halves, which changes nothing for the usual URL-safe secrets.
* ``requests`` follows redirects and waits forever by default: every call here passes
  ``allow_redirects=False`` and the configured timeout, and JSON bodies are capped.
* A token answer with ``expires_in`` is treated as expired 60 s early, and Authlib then
  tries to refresh it; the userinfo call gets the access token alone.
"""

from __future__ import annotations

import base64
import hmac
import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from typing import Final
from urllib.parse import quote
from urllib.parse import urlsplit

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from config.settings import FederationSettings
from idp.errors import UpstreamLoginInvalid
from idp.errors import UpstreamUnavailable
from idp.oauth.client_keys import ALG_FOR_KEY
from keys.algorithms import PublicKey
from keys.errors import UnsupportedAlgorithm
from keys.jose import JWTError
from keys.jose import public_key_from_jwk
from keys.jose import verify_jwt

DISCOVERY_PATH: Final = "/.well-known/openid-configuration"
#: Largest discovery document, JWK Set or userinfo answer read.
MAX_BYTES: Final = 256 * 1024
#: The same unknown ``kid`` re-reads the JWKS at most this often.
REFETCH_SECONDS: Final = 30.0
MAX_SUBJECT: Final = 255


@dataclass(frozen=True)
class UpstreamMetadata:
    """The parts of the upstream's discovery document a login needs."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    #: RFC 9207: the upstream puts ``iss`` in its authorization responses.
    iss_parameter: bool


@dataclass(frozen=True)
class UpstreamTokens:
    id_token: str
    access_token: str | None


class UpstreamClient:
    """One upstream provider, as configured in ``federation``."""

    def __init__(
        self, settings: FederationSettings, redirect_uri: str, *, require_https: bool
    ) -> None:
        self.settings = settings
        self.issuer = settings.issuer
        self.redirect_uri = redirect_uri
        self._require_https = require_https
        self._lock = threading.Lock()
        self._metadata: tuple[float, UpstreamMetadata] | None = None
        self._jwks: tuple[float, list[dict[str, Any]]] | None = None
        #: When each unknown ``kid`` last made us re-read the JWKS.
        self._refetched: dict[str, float] = {}

    # -- discovery and keys ---------------------------------------------------------------------

    def metadata(self) -> UpstreamMetadata:
        """The discovery document (Discovery §4), cached for ``metadata_cache_seconds``.

        :raises UpstreamUnavailable: unreachable, or not a document for this issuer.
        """
        now = time.monotonic()
        cached = self._metadata
        if cached is not None and now < cached[0]:
            return cached[1]
        document = self._get_json(self.issuer + DISCOVERY_PATH, what="discovery document")
        # Discovery §4.3: the issuer in the document must be the one we asked.
        if document.get("issuer") != self.issuer:
            raise UpstreamUnavailable(
                "the upstream provider is misconfigured",
                detail="discovery document names another issuer",
            )
        found = UpstreamMetadata(
            issuer=self.issuer,
            authorization_endpoint=self._endpoint(document, "authorization_endpoint"),
            token_endpoint=self._endpoint(document, "token_endpoint"),
            jwks_uri=self._endpoint(document, "jwks_uri"),
            userinfo_endpoint=(
                self._endpoint(document, "userinfo_endpoint")
                if document.get("userinfo_endpoint")
                else None
            ),
            iss_parameter=document.get("authorization_response_iss_parameter_supported") is True,
        )
        with self._lock:
            self._metadata = (now + self.settings.metadata_cache_seconds, found)
        return found

    def key_for(self, kid: str | None) -> tuple[PublicKey, str]:
        """The upstream's signing key ``kid`` and the one algorithm it verifies.

        An unknown ``kid`` re-reads the JWKS once, so the upstream's key rotation is
        followed without a restart; the same unknown ``kid`` again within
        ``REFETCH_SECONDS`` does not (ID tokens come from the upstream's own token
        endpoint, so this only bounds the work a broken upstream can cause).
        """
        for refetch in (False, True):
            if refetch and not self._may_refetch(kid or ""):
                break
            keys = self._keys(refetch=refetch)
            candidates = [
                k
                for k in keys
                if (kid is None or k.get("kid") == kid) and k.get("use", "sig") == "sig"
            ]
            if kid is None and len(candidates) > 1:
                raise JWTError("the ID token has no kid and the upstream has several keys")
            if candidates:
                return _public_key(candidates[0])
        raise JWTError("the ID token's kid is not among the upstream's keys")

    def _may_refetch(self, kid: str) -> bool:
        now = time.monotonic()
        with self._lock:
            last = self._refetched.get(kid)
            if last is not None and now - last < REFETCH_SECONDS:
                return False
            if len(self._refetched) > 100:
                self._refetched.clear()
            self._refetched[kid] = now
        return True

    def _keys(self, *, refetch: bool) -> list[dict[str, Any]]:
        now = time.monotonic()
        cached = self._jwks
        if cached is not None and now < cached[0] and not refetch:
            return cached[1]
        document = self._get_json(self.metadata().jwks_uri, what="JWK Set")
        listed = document.get("keys")
        if not isinstance(listed, list):
            raise UpstreamUnavailable(
                "the upstream provider is misconfigured", detail="jwks_uri is not a JWK Set"
            )
        found = [k for k in listed if isinstance(k, dict)]
        with self._lock:
            self._jwks = (now + self.settings.metadata_cache_seconds, found)
        return found

    # -- the code flow -------------------------------------------------------------------------

    def authorization_url(
        self, *, state: str, nonce: str, code_verifier: str, extra: Mapping[str, str]
    ) -> str:
        """Where to send the browser (§3.1.2.1), with an S256 code challenge."""
        endpoint = self.metadata().authorization_endpoint
        with self._session() as session:
            url, _ = session.create_authorization_url(
                endpoint,
                state=state,
                code_verifier=code_verifier,
                nonce=nonce,
                **{k: v for k, v in extra.items() if v},
            )
        return str(url)

    def check_response_issuer(self, iss: str | None) -> None:
        """RFC 9207 §2.4: an ``iss`` in the authorization response must be the upstream's,
        and must be there when the upstream says it sends one (mix-up defence)."""
        if iss is None and not self.metadata().iss_parameter:
            return
        if iss is None or not hmac.compare_digest(iss.encode(), self.issuer.encode()):
            raise UpstreamLoginInvalid(
                "the login at the upstream provider could not be verified",
                detail="authorization response iss is missing or another issuer's",
            )

    def exchange_code(self, code: str, code_verifier: str) -> UpstreamTokens:
        """Redeem the code at the token endpoint (§3.1.3.1) with client_secret_basic."""
        endpoint = self.metadata().token_endpoint
        try:
            with self._session() as session:
                token = session.fetch_token(
                    endpoint,
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=code_verifier,
                    redirect_uri=self.redirect_uri,
                    timeout=self.settings.timeout,
                    allow_redirects=False,
                )
        except OAuthError as exc:
            raise UpstreamLoginInvalid(
                "the login at the upstream provider could not be completed",
                detail=f"token endpoint answered {str(exc.error)[:40]}",
            ) from None
        except (requests.RequestException, ValueError) as exc:
            raise UpstreamUnavailable(
                "the upstream provider is not answering; please try again",
                detail=f"token endpoint: {type(exc).__name__}",
            ) from None
        id_token = token.get("id_token")
        token_type = str(token.get("token_type", "")).lower()
        if not isinstance(id_token, str) or token_type != "bearer":
            raise UpstreamLoginInvalid(
                "the login at the upstream provider could not be completed",
                detail="token response without an id_token or not a Bearer token",
            )
        access = token.get("access_token")
        return UpstreamTokens(id_token, access if isinstance(access, str) else None)

    def verify_id_token(
        self,
        id_token: str,
        *,
        nonce: str,
        max_age_seconds: int,
        auth_max_age: int | None = None,
    ) -> dict[str, Any]:
        """The ID token's claims once §3.1.3.7 holds; :class:`UpstreamLoginInvalid` else.

        ``max_age_seconds``: how old ``iat`` may be (the login's own time limit), so a
        token minted before this login began is refused even with the right nonce.
        ``auth_max_age``: the ``max_age`` sent upstream; ``auth_time`` must then be
        there and recent enough (§3.1.3.7 item 13).
        """
        leeway = self.settings.leeway_seconds
        try:
            claims = verify_jwt(
                id_token,
                self.key_for,
                audience=self.settings.client_id,
                issuer=self.issuer,
                leeway=leeway,
                require=("iss", "sub", "aud", "exp", "iat"),
            )
            _check_id_token(claims, self.settings.client_id, nonce)
            if claims["iat"] < time.time() - max_age_seconds - leeway:
                raise JWTError("the ID token was issued before this login began")
            if auth_max_age is not None:
                auth_time = claims.get("auth_time")
                if not isinstance(auth_time, int | float) or isinstance(auth_time, bool):
                    raise JWTError("max_age was sent and the ID token has no auth_time")
                if auth_time < time.time() - auth_max_age - leeway:
                    raise JWTError("the upstream login is older than max_age allows")
        except JWTError as exc:
            raise UpstreamLoginInvalid(
                "the login at the upstream provider could not be verified",
                detail=f"id_token: {type(exc).__name__}: {str(exc)[:120]}",
            ) from None
        return claims

    def userinfo(self, access_token: str, *, subject: str) -> dict[str, Any]:
        """The userinfo answer (§5.3), whose ``sub`` must be the ID token's (§5.3.4)."""
        endpoint = self.metadata().userinfo_endpoint
        if endpoint is None:
            return {}
        token = {"access_token": access_token, "token_type": "Bearer"}
        with self._session(token=token) as session:
            answer = self._get_json(endpoint, what="userinfo", session=session)
        sub = answer.get("sub")
        if not isinstance(sub, str) or not hmac.compare_digest(sub.encode(), subject.encode()):
            raise UpstreamLoginInvalid(
                "the login at the upstream provider could not be verified",
                detail="userinfo sub is not the ID token's",
            )
        return answer

    def claims(
        self,
        code: str,
        *,
        code_verifier: str,
        nonce: str,
        max_age_seconds: int,
        auth_max_age: int | None = None,
    ) -> dict[str, Any]:
        """Redeem ``code``, verify the ID token, add userinfo; the ID token's values win."""
        tokens = self.exchange_code(code, code_verifier)
        claims = self.verify_id_token(
            tokens.id_token,
            nonce=nonce,
            max_age_seconds=max_age_seconds,
            auth_max_age=auth_max_age,
        )
        if self.settings.userinfo and tokens.access_token:
            extra = self.userinfo(tokens.access_token, subject=claims["sub"])
            claims = {**extra, **claims}
        return claims

    # -- HTTP ----------------------------------------------------------------------------------

    def _session(self, token: dict[str, str] | None = None) -> OAuth2Session:
        session = OAuth2Session(
            client_id=self.settings.client_id,
            client_secret=self.settings.client_secret,
            token_endpoint_auth_method="client_secret_basic",  # noqa: S106 (a method name)
            scope=self.settings.scopes,
            redirect_uri=self.redirect_uri,
            code_challenge_method="S256",
            token=token,
        )
        session.register_client_auth_method(("client_secret_basic", _encode_client_secret_basic))
        session.headers["User-Agent"] = "Tongban federation"
        return session

    def _get_json(
        self, url: str, *, what: str, session: OAuth2Session | None = None
    ) -> dict[str, Any]:
        owned = session is None
        http = session or self._session()
        try:
            with http.get(
                url,
                withhold_token=owned,
                timeout=self.settings.timeout,
                allow_redirects=False,
                stream=True,
                headers={"Accept": "application/json"},
            ) as response:
                if response.status_code != 200:
                    raise UpstreamUnavailable(
                        "the upstream provider is not answering; please try again",
                        detail=f"{what}: HTTP {response.status_code}",
                    )
                body = b""
                for chunk in response.iter_content(16384):
                    body += chunk
                    if len(body) > MAX_BYTES:
                        raise UpstreamUnavailable(
                            "the upstream provider is misconfigured", detail=f"{what}: too large"
                        )
                kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        except requests.RequestException as exc:
            raise UpstreamUnavailable(
                "the upstream provider is not answering; please try again",
                detail=f"{what}: {type(exc).__name__}",
            ) from None
        finally:
            if owned:
                http.close()
        try:
            document = json.loads(body) if kind.endswith("json") else None
        except ValueError:
            document = None
        if not isinstance(document, dict):
            raise UpstreamUnavailable(
                "the upstream provider is misconfigured", detail=f"{what}: not a JSON object"
            )
        return document

    def _endpoint(self, document: Mapping[str, Any], name: str) -> str:
        value = document.get(name)
        parts = urlsplit(value) if isinstance(value, str) else None
        schemes = ("https",) if self._require_https else ("https", "http")
        if parts is None or parts.scheme not in schemes or not parts.netloc or parts.fragment:
            raise UpstreamUnavailable(
                "the upstream provider is misconfigured",
                detail=f"discovery {name} is missing or not an {'/'.join(schemes)} URL",
            )
        return str(value)


def _check_id_token(claims: Mapping[str, Any], client_id: str, nonce: str) -> None:
    """The checks of OpenID Connect Core §3.1.3.7 that PyJWT does not make."""
    sub = claims.get("sub")
    if not isinstance(sub, str) or not 0 < len(sub) <= MAX_SUBJECT:
        raise JWTError("the ID token's sub is not a string of 1 to 255 characters")
    audience = claims["aud"]
    # §3.1.3.7 items 4 and 5: several audiences need azp, and azp must be us.
    if isinstance(audience, list) and len(audience) > 1 and "azp" not in claims:
        raise JWTError("the ID token has several audiences and no azp")
    if "azp" in claims and claims["azp"] != client_id:
        raise JWTError("the ID token's azp is another client")
    got = claims.get("nonce")
    if not isinstance(got, str) or not hmac.compare_digest(got.encode(), nonce.encode()):
        raise JWTError("the ID token's nonce is not this login's")
    if not isinstance(claims["iat"], int | float):
        raise JWTError("the ID token's iat is not a number")


def _public_key(jwk: Mapping[str, Any]) -> tuple[PublicKey, str]:
    """The key of a JWK and its algorithm, which the key type fixes (never the token)."""
    alg = ALG_FOR_KEY.get((jwk.get("kty"), jwk.get("crv")))
    if alg is None or jwk.get("alg") not in (None, alg):
        raise JWTError("the upstream's key type or alg is not supported")
    try:
        return public_key_from_jwk(dict(jwk), alg), alg
    except (ValueError, UnsupportedAlgorithm, KeyError):
        raise JWTError("the upstream's key is not a valid public JWK") from None


def _encode_client_secret_basic(
    client: Any, method: str, uri: str, headers: dict[str, str], body: str
) -> tuple[str, dict[str, str], str]:
    """RFC 6749 §2.3.1: both halves form-encoded before Base64 (Authlib skips this)."""
    pair = f"{quote(client.client_id, safe='')}:{quote(client.client_secret, safe='')}"
    headers["Authorization"] = "Basic " + base64.b64encode(pair.encode("ascii")).decode("ascii")
    return uri, headers, body

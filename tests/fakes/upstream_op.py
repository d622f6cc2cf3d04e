"""A small OpenID provider on loopback whose ID tokens a test shapes: for the checks a
real upstream never fails (a tampered signature, another audience, alg none...).

It serves discovery, a JWK Set, a token endpoint (client_secret_basic, PKCE S256
checked against the challenge the test hands it) and userinfo. Tokens are signed
through ``keys.jose`` with software keys made here.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import unquote

from werkzeug.serving import make_server
from werkzeug.wrappers import Request
from werkzeug.wrappers import Response

from keys.algorithms import generate_private_key
from keys.jose import sign_jwt
from keys.software import SoftwareSigner

CLIENT_ID = "downstream-tongban"
CLIENT_SECRET = "fake+upstream/secret:with%odd chars"


def new_signer(kid: str, alg: str = "ES256") -> SoftwareSigner:
    return SoftwareSigner(kid, alg, generate_private_key(alg))


@dataclass
class FakeUpstream:
    base_url: str = ""
    signers: list[SoftwareSigner] = field(default_factory=lambda: [new_signer("k1")])
    #: Set by the test from the authorization URL: what the token request must prove.
    challenge: str = ""
    nonce: str = ""
    #: Changes to the default ID token claims (a value of None removes the claim).
    claims: dict[str, Any] = field(default_factory=dict)
    #: Replaces the whole ID token when set (given the default claims).
    id_token: Callable[[dict[str, Any]], str] | None = None
    userinfo: dict[str, Any] = field(default_factory=dict)
    iss_parameter: bool = True
    jwks_fetches: int = 0
    token_requests: list[dict[str, str]] = field(default_factory=list)

    def default_claims(self) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.base_url,
            "sub": "up-0001",
            "aud": CLIENT_ID,
            "exp": now + 300,
            "iat": now,
            "nonce": self.nonce,
            "acr": "urn:tongban:loa:2",
            "amr": ["pwd"],
            "legal_name": "张三",
            "id_number": "11010519491231002X",
        }
        for name, value in self.claims.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        return claims

    def sign(self, claims: dict[str, Any], signer: SoftwareSigner | None = None) -> str:
        return sign_jwt(signer or self.signers[0], claims)

    # -- WSGI ------------------------------------------------------------------------------------

    def wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        routes = {
            "/.well-known/openid-configuration": self._discovery,
            "/jwks": self._jwks,
            "/token": self._token,
            "/userinfo": self._userinfo,
        }
        handler = routes.get(request.path)
        response = handler(request) if handler else _json({"error": "not_found"}, 404)
        return response(environ, start_response)

    def _discovery(self, _request: Request) -> Response:
        base = self.base_url
        return _json(
            {
                "issuer": base,
                "authorization_endpoint": f"{base}/authorize",
                "token_endpoint": f"{base}/token",
                "jwks_uri": f"{base}/jwks",
                "userinfo_endpoint": f"{base}/userinfo",
                "authorization_response_iss_parameter_supported": self.iss_parameter,
            }
        )

    def _jwks(self, _request: Request) -> Response:
        self.jwks_fetches += 1
        return _json({"keys": [s.public_jwk() for s in self.signers]})

    def _token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs(request.get_data(as_text=True)).items()}
        self.token_requests.append(form)
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        user, _, password = base64.b64decode(value).decode().partition(":")
        if scheme != "Basic" or (unquote(user), unquote(password)) != (CLIENT_ID, CLIENT_SECRET):
            return _json({"error": "invalid_client"}, 401)
        digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != self.challenge:
            return _json({"error": "invalid_grant", "error_description": "PKCE"}, 400)
        claims = self.default_claims()
        token = self.id_token(claims) if self.id_token else self.sign(claims)
        return _json({"access_token": "at-1", "token_type": "Bearer", "id_token": token})

    def _userinfo(self, request: Request) -> Response:
        if request.headers.get("Authorization") != "Bearer at-1":
            return _json({"error": "invalid_token"}, 401)
        return _json({"sub": "up-0001", **self.userinfo})


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


@contextmanager
def serving(fake: FakeUpstream) -> Iterator[FakeUpstream]:
    server = make_server("127.0.0.1", 0, fake.wsgi, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.base_url = f"http://127.0.0.1:{server.server_port}"
    try:
        yield fake
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()

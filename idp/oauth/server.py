"""Tongban's Authlib authorization server: our grants, client auth and endpoints.

The only module that turns Authlib requests and responses into Flask ones.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cached_property
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import OAuth2Request
from authlib.oauth2.rfc6749.requests import OAuth2Payload
from flask import Response
from flask import json
from flask import request as flask_request
from werkzeug.datastructures import MultiDict

from idp.clients import Client
from idp.oauth.client_auth import PrivateKeyJWT
from idp.oauth.client_keys import ClientKeys
from idp.oauth.endpoints import Introspection
from idp.oauth.endpoints import Revocation
from idp.oauth.grants import AuthorizationCodeGrant
from idp.oauth.grants import ClientCredentialsGrant
from idp.oauth.grants import OpenIDCodeExtension
from idp.oauth.grants import RefreshTokenGrant
from idp.oauth.grants import S256CodeChallenge
from idp.oauth.tokens import TokenIssuer
from idp.provider import Provider

NO_STORE = [("Cache-Control", "no-store"), ("Pragma", "no-cache")]


class ParamsPayload(OAuth2Payload):
    """A payload from explicit parameters (pushed, from a request object, or resumed)."""

    def __init__(self, params: MultiDict[str, str]) -> None:
        self._params = params

    @property
    def data(self) -> MultiDict[str, str]:
        return self._params

    @cached_property
    def datalist(self) -> defaultdict[str, list[str]]:
        values: defaultdict[str, list[str]] = defaultdict(list)
        for key in self._params:
            values[key].extend(self._params.getlist(key))
        return values


class ParamsRequest(OAuth2Request):
    """An authorization request whose parameters Tongban assembled (RFC 9126/9101)."""

    def __init__(self, uri: str, params: MultiDict[str, str]) -> None:
        super().__init__(method="GET", uri=uri, headers={})
        self.payload = ParamsPayload(params)
        self.auth_context: Any = None

    @property
    def args(self) -> MultiDict[str, str]:
        params: MultiDict[str, str] = self.payload.data
        return params

    @property
    def form(self) -> MultiDict[str, str]:
        return MultiDict()


class BodyOnlyRequest(OAuth2Request):
    """Token-endpoint style requests read parameters from the body only (RFC 6749 §3.2):
    credentials in a query string end up in logs."""

    def __init__(self) -> None:
        super().__init__(
            method=flask_request.method, uri=flask_request.url, headers=flask_request.headers
        )
        self.payload = ParamsPayload(flask_request.form)

    @property
    def args(self) -> MultiDict[str, str]:
        return flask_request.args

    @property
    def form(self) -> MultiDict[str, str]:
        return flask_request.form


class OAuthServer(AuthorizationServer):
    def __init__(self, provider: Provider, *, client_keys: ClientKeys | None = None) -> None:
        super().__init__()
        self.provider = provider
        self.issuer = TokenIssuer(provider)
        self.client_keys = client_keys or ClientKeys()
        self.register_grant(
            AuthorizationCodeGrant,
            [S256CodeChallenge(required=True), OpenIDCodeExtension(self.issuer)],
        )
        self.register_grant(RefreshTokenGrant)
        self.register_grant(ClientCredentialsGrant)
        self.register_client_auth_method(
            "private_key_jwt",
            PrivateKeyJWT(
                issuer=provider.issuer,
                endpoint_urls=self.endpoint_urls,
                keys=self.client_keys,
                replay=provider.ephemeral,
            ),
        )
        self.register_endpoint(Revocation)
        self.register_endpoint(Introspection)

    def endpoint_urls(self) -> set[str]:
        base = self.provider.issuer
        return {f"{base}/token", f"{base}/par", f"{base}/revoke", f"{base}/introspect"}

    def query_client(self, client_id: object) -> Client | None:
        if not isinstance(client_id, str):
            return None
        return self.provider.clients.find(client_id)

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        """Nothing to save: access tokens are self-contained, refresh tokens saved on issue."""

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        if isinstance(request, OAuth2Request):
            return request
        return BodyOnlyRequest()

    def handle_response(self, status_code: int, payload: Any, headers: Any) -> Response:
        if isinstance(payload, dict):
            payload = json.dumps(payload)
        response = Response(payload, status=status_code, headers=headers)
        for name, value in NO_STORE:
            response.headers.setdefault(name, value)
        return response

    def handle_error_response(self, request: Any, error: Any) -> Response:
        response: Response = super().handle_error_response(request, error)
        if response.status_code == 401 and "WWW-Authenticate" not in response.headers:
            # RFC 6749 §5.2: a 401 for client authentication names the scheme.
            response.headers["WWW-Authenticate"] = 'Basic realm="tongban"'
        return response

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """Authlib's signals are not used."""

    def authenticate_client(self, request: Any, methods: Any, endpoint: str = "token") -> Any:
        check_single_client_auth(request)
        return super().authenticate_client(request, methods, endpoint)


def check_single_client_auth(request: Any) -> None:
    """RFC 6749 §2.3: a client must not use more than one authentication method."""
    from authlib.oauth2.rfc6749 import InvalidRequestError

    used = 0
    if str(request.headers.get("Authorization", "")).lower().startswith("basic "):
        used += 1
    form = request.form
    if form.get("client_secret"):
        used += 1
    if form.get("client_assertion"):
        used += 1
    if used > 1:
        raise InvalidRequestError("use one client authentication method per request")

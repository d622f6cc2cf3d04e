"""Provider metadata: OpenID Connect Discovery 1.0 §3 and RFC 8414 (plus RFC 9126 PAR,
RFC 9207 iss, RFC 9101 request objects). Built once and served as bytes."""

from __future__ import annotations

import json
from typing import Any

from idp.acr import SUPPORTED as ACR_VALUES
from idp.claims import SUPPORTED_CLAIMS
from idp.clients import KNOWN_SCOPES
from idp.clients import SIGNING_ALGS
from idp.oauth.grants import ALL_CLIENT_AUTH
from idp.oauth.grants import CONFIDENTIAL_AUTH

ENDPOINTS = {
    "authorization_endpoint": "/authorize",
    "token_endpoint": "/token",
    "userinfo_endpoint": "/userinfo",
    "jwks_uri": "/jwks.json",
    "registration_endpoint": "/register",
    "revocation_endpoint": "/revoke",
    "introspection_endpoint": "/introspect",
    "pushed_authorization_request_endpoint": "/par",
    "end_session_endpoint": "/logout",
}
ASSERTION_ALGS = ["ES256", "RS256", "EdDSA"]


def metadata(issuer: str, *, registration_open: bool) -> dict[str, Any]:
    data: dict[str, Any] = {"issuer": issuer}
    for name, path in ENDPOINTS.items():
        if name == "registration_endpoint" and not registration_open:
            continue
        data[name] = issuer + path
    data.update(
        scopes_supported=list(KNOWN_SCOPES),
        response_types_supported=["code"],
        response_modes_supported=["query", "form_post"],
        grant_types_supported=["authorization_code", "refresh_token", "client_credentials"],
        subject_types_supported=["pairwise", "public"],
        id_token_signing_alg_values_supported=list(SIGNING_ALGS),
        userinfo_signing_alg_values_supported=list(SIGNING_ALGS),
        request_object_signing_alg_values_supported=ASSERTION_ALGS,
        token_endpoint_auth_methods_supported=ALL_CLIENT_AUTH,
        token_endpoint_auth_signing_alg_values_supported=ASSERTION_ALGS,
        revocation_endpoint_auth_methods_supported=ALL_CLIENT_AUTH,
        revocation_endpoint_auth_signing_alg_values_supported=ASSERTION_ALGS,
        introspection_endpoint_auth_methods_supported=CONFIDENTIAL_AUTH,
        introspection_endpoint_auth_signing_alg_values_supported=ASSERTION_ALGS,
        code_challenge_methods_supported=["S256"],
        acr_values_supported=list(ACR_VALUES),
        claims_supported=list(SUPPORTED_CLAIMS),
        claim_types_supported=["normal"],
        claims_parameter_supported=True,
        request_parameter_supported=True,
        request_uri_parameter_supported=False,
        require_pushed_authorization_requests=False,
        authorization_response_iss_parameter_supported=True,
        prompt_values_supported=["none", "login", "consent", "select_account"],
        ui_locales_supported=["zh-CN", "en"],
        backchannel_logout_supported=True,
        backchannel_logout_session_supported=True,
        frontchannel_logout_supported=True,
        frontchannel_logout_session_supported=True,
        claims_locales_supported=["zh-CN"],
        service_documentation=issuer + "/",
    )
    return data


def metadata_bytes(issuer: str, *, registration_open: bool) -> bytes:
    return json.dumps(
        metadata(issuer, registration_open=registration_open),
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()

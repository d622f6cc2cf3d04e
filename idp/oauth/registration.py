"""Dynamic Client Registration (RFC 7591) and its management protocol (RFC 7592).

Registration needs an initial access token from an operator
(`tongban client registration-token`), which also decides the department. Clients
registered this way can never mark themselves first-party, relax PKCE or receive ID
numbers: those stay operator decisions.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from typing import Any

from idp.clients import Client
from idp.clients import ClientMetadata
from idp.clients import metadata_of
from idp.clients import use_registration_token
from idp.errors import ClientNotFound
from idp.errors import InvalidClientMetadata
from idp.errors import InvalidInput
from idp.provider import Provider

#: RFC 7591 / OpenID Connect Registration names → ClientMetadata fields.
LIST_FIELDS = (
    "redirect_uris",
    "post_logout_redirect_uris",
    "grant_types",
    "default_acr_values",
    "contacts",
)
TEXT_FIELDS = (
    "token_endpoint_auth_method",
    "application_type",
    "subject_type",
    "id_token_signed_response_alg",
    "userinfo_signed_response_alg",
    "jwks_uri",
    "backchannel_logout_uri",
    "frontchannel_logout_uri",
    "client_uri",
    "logo_uri",
)


class RegistrationError(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def parse_metadata(body: Any, client_id: str) -> ClientMetadata:
    """The metadata in a registration request for the client ``client_id``."""
    if not isinstance(body, dict):
        raise RegistrationError(400, "invalid_client_metadata", "the body must be a JSON object")
    name = body.get("client_name")
    if name is not None and not isinstance(name, str):
        raise RegistrationError(400, "invalid_client_metadata", "client_name must be a string")
    # RFC 7591 §2: client_name is optional; "if omitted, the authorization server MAY
    # display the raw client_id value to the end-user instead".
    fields: dict[str, Any] = {"name": (name or "").strip() or client_id}
    for name in LIST_FIELDS:
        if name in body:
            value = body[name]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise RegistrationError(
                    400, "invalid_client_metadata", f"{name} must be a list of strings"
                )
            fields[name] = tuple(value)
    for name in TEXT_FIELDS:
        if name in body and body[name] is not None:
            if not isinstance(body[name], str):
                raise RegistrationError(400, "invalid_client_metadata", f"{name} must be a string")
            fields[name] = body[name]
    if "response_types" in body and body["response_types"] != ["code"]:
        raise RegistrationError(400, "invalid_client_metadata", 'response_types must be ["code"]')
    if "scope" in body:
        if not isinstance(body["scope"], str):
            raise RegistrationError(400, "invalid_client_metadata", "scope must be a string")
        fields["scopes"] = tuple(body["scope"].split())
    if "jwks" in body:
        if not isinstance(body["jwks"], dict):
            raise RegistrationError(400, "invalid_client_metadata", "jwks must be a JWK Set object")
        fields["jwks"] = body["jwks"]
    if "sector_identifier_uri" in body:
        raise RegistrationError(
            400,
            "invalid_client_metadata",
            "sector_identifier_uri is not supported; sectors are departments",
        )
    if "default_max_age" in body:
        if not isinstance(body["default_max_age"], int):
            raise RegistrationError(
                400, "invalid_client_metadata", "default_max_age must be a number"
            )
        fields["default_max_age"] = body["default_max_age"]
    for flag in ("require_auth_time", "require_pushed_authorization_requests"):
        if flag in body:
            if not isinstance(body[flag], bool):
                raise RegistrationError(400, "invalid_client_metadata", f"{flag} must be a boolean")
            fields[flag] = body[flag]
    if "idnumber" in fields.get("scopes", ()):
        raise RegistrationError(
            400,
            "invalid_client_metadata",
            "the idnumber scope is granted by an operator, not by registration",
        )
    return ClientMetadata(**fields)


def describe(
    client: Client, issuer: str, *, secret: str | None = None, registration_token: str | None = None
) -> dict[str, Any]:
    """The client information response (RFC 7591 §3.2.1)."""
    body: dict[str, Any] = {
        "client_id": client.client_id,
        "client_name": client.name,
        "redirect_uris": list(client.redirect_uris),
        "post_logout_redirect_uris": list(client.post_logout_redirect_uris),
        "grant_types": list(client.grant_types),
        "response_types": ["code"] if "authorization_code" in client.grant_types else [],
        "token_endpoint_auth_method": client.token_endpoint_auth_method,
        "application_type": client.application_type,
        "scope": " ".join(client.scopes),
        "subject_type": client.subject_type,
        "id_token_signed_response_alg": client.id_token_signed_response_alg,
        "require_pushed_authorization_requests": client.require_pushed_authorization_requests,
        "registration_client_uri": f"{issuer}/register/{client.client_id}",
    }
    optional = {
        "userinfo_signed_response_alg": client.userinfo_signed_response_alg,
        "jwks": client.jwks,
        "jwks_uri": client.jwks_uri,
        "backchannel_logout_uri": client.backchannel_logout_uri,
        "frontchannel_logout_uri": client.frontchannel_logout_uri,
        "default_max_age": client.default_max_age,
        "client_uri": client.client_uri,
        "logo_uri": client.logo_uri,
    }
    body.update({k: v for k, v in optional.items() if v is not None})
    if secret is not None:
        body["client_secret"] = secret
        body["client_secret_expires_at"] = 0
    if registration_token is not None:
        body["registration_access_token"] = registration_token
    return body


def register(provider: Provider, initial_token: str | None, body: Any) -> dict[str, Any]:
    if provider.settings.idp.registration == "closed":
        raise RegistrationError(403, "access_denied", "dynamic registration is closed")
    if not initial_token:
        raise RegistrationError(401, "invalid_token", "an initial access token is required")
    now = datetime.now(UTC)
    client_id = secrets.token_urlsafe(16)
    meta = parse_metadata(body, client_id)
    department = use_registration_token(provider.db, initial_token, now=now)
    if department is None:
        raise RegistrationError(401, "invalid_token", "the initial access token is not valid")
    access_token = secrets.token_urlsafe(32)
    try:
        client, secret = provider.clients.create(
            department,
            meta,
            now=now,
            actor=f"registration:{department}",
            client_id=client_id,
            registered_by="dcr",
            registration_token=access_token,
        )
    except InvalidInput as exc:
        raise RegistrationError(400, exc.code, exc.message) from None
    body_out = describe(client, provider.issuer, secret=secret, registration_token=access_token)
    body_out["client_id_issued_at"] = int(now.timestamp())
    return body_out


def read(provider: Provider, client_id: str, token: str | None) -> dict[str, Any]:
    return describe(_authorised(provider, client_id, token), provider.issuer)


def update(provider: Provider, client_id: str, token: str | None, body: Any) -> dict[str, Any]:
    client = _authorised(provider, client_id, token)
    if isinstance(body, dict) and body.get("client_id") != client_id:
        raise RegistrationError(
            400, "invalid_client_metadata", "client_id must match (RFC 7592 section 2.2)"
        )
    meta = parse_metadata(body, client_id)
    current = metadata_of(client)
    # RFC 7592 §2.2: the body replaces the metadata; operator-only fields keep their values.
    merged = replace(
        meta,
        first_party=current.first_party,
        allow_id_number=current.allow_id_number,
        pkce=current.pkce,
        sector_identifier=current.sector_identifier,
    )
    changes = {
        name: getattr(merged, name)
        for name in ClientMetadata.__dataclass_fields__
        if getattr(merged, name) != getattr(current, name)
    }
    try:
        updated = provider.clients.update(
            client_id, changes, now=datetime.now(UTC), actor=f"client:{client_id}"
        )
    except InvalidClientMetadata as exc:
        raise RegistrationError(400, exc.code, exc.message) from None
    except InvalidInput as exc:
        raise RegistrationError(400, exc.code, exc.message) from None
    return describe(updated, provider.issuer)


def delete(provider: Provider, client_id: str, token: str | None) -> None:
    _authorised(provider, client_id, token)
    provider.clients.delete(client_id, now=datetime.now(UTC), actor=f"client:{client_id}")


def _authorised(provider: Provider, client_id: str, token: str | None) -> Client:
    if not token:
        raise RegistrationError(401, "invalid_token", "a registration access token is required")
    try:
        return provider.clients.check_registration_token(client_id, token)
    except ClientNotFound:
        raise RegistrationError(401, "invalid_token", "unknown client or token") from None

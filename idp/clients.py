"""Relying parties (department systems): their metadata, its validation, the registry.

A :class:`Client` is an immutable snapshot that the OAuth layer asks questions of
(the method names follow Authlib's ``ClientMixin``, so Authlib can use it without
our inheriting its models). The :class:`ClientRegistry` keeps snapshots in process
for ``CACHE_SECONDS``: the token endpoint must not query the database per request.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
import threading
import time
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import datetime
from typing import Any
from typing import Final
from urllib.parse import urlsplit

from sqlalchemy import select

from audit.trail import record as audit_record
from idp.errors import ClientNotFound
from idp.errors import DepartmentNotFound
from idp.errors import InvalidClientMetadata
from idp.errors import InvalidRedirectURI
from idp.models import ClientRecord
from idp.models import Department
from store.db import Database

CACHE_SECONDS: Final = 30.0
SECRET_PREFIX: Final = "sha256:"
AUTH_METHODS: Final = ("client_secret_basic", "client_secret_post", "private_key_jwt", "none")
GRANT_TYPES: Final = ("authorization_code", "refresh_token", "client_credentials")
#: Scopes Tongban knows. ``licence:<type>`` scopes come with the licence service.
KNOWN_SCOPES: Final = (
    "openid",
    "profile",
    "phone",
    "realname",
    "idnumber",
    "entity",
    "offline_access",
)
SIGNING_ALGS: Final = ("ES256", "RS256", "EdDSA")
CLIENT_ID_PATTERN: Final = re.compile(r"^[A-Za-z0-9._-]{3,64}$")


@dataclass(frozen=True)
class Client:
    """What the provider needs to know about a client at request time."""

    client_id: str
    department_id: str
    name: str
    status: str
    application_type: str
    token_endpoint_auth_method: str
    secret_hash: str | None
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    grant_types: tuple[str, ...]
    scopes: tuple[str, ...]
    subject_type: str
    sector_identifier: str | None
    id_token_signed_response_alg: str
    userinfo_signed_response_alg: str | None
    jwks: dict[str, Any] | None
    jwks_uri: str | None
    require_pushed_authorization_requests: bool
    pkce: str
    first_party: bool
    allow_id_number: bool
    backchannel_logout_uri: str | None
    frontchannel_logout_uri: str | None
    default_max_age: int | None
    require_auth_time: bool
    default_acr_values: tuple[str, ...]
    contacts: tuple[str, ...] = field(default=())
    client_uri: str | None = None
    logo_uri: str | None = None
    registered_by: str = "operator"

    # -- the questions Authlib asks (ClientMixin) ---------------------------------------

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        # Only an unambiguous registration may be implied (OpenID Connect requires the
        # parameter anyway; plain OAuth may omit it when exactly one is registered).
        return self.redirect_uris[0] if len(self.redirect_uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str:
        if not scope:
            return ""
        return " ".join(s for s in scope.split() if s in self.scopes)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri_matches(self, redirect_uri)

    def check_client_secret(self, client_secret: str) -> bool:
        return self.secret_hash is not None and hmac.compare_digest(
            self.secret_hash, hash_secret(client_secret)
        )

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if endpoint == "token":
            return method == self.token_endpoint_auth_method
        # Revocation and introspection accept the client's own method too.
        return method == self.token_endpoint_auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types

    # -- derived facts ------------------------------------------------------------------

    @property
    def is_public(self) -> bool:
        return self.token_endpoint_auth_method == "none"

    @property
    def active(self) -> bool:
        return self.status == "active"

    @property
    def sector(self) -> str:
        """Whose ``sub`` values this client sees: its department's unless configured."""
        if self.subject_type == "public":
            return "public"
        return self.sector_identifier or f"department:{self.department_id}"


def hash_secret(secret: str) -> str:
    """A fast hash for a high-entropy generated secret (a password hash would cap the
    token endpoint at ~50 requests/s; guessing 256 random bits needs no slowing down)."""
    return SECRET_PREFIX + hashlib.sha256(secret.encode("utf-8")).hexdigest()


def generate_secret() -> str:
    return secrets.token_urlsafe(32)


def redirect_uri_matches(client: Client, candidate: str) -> bool:
    """Exact string match (RFC 9700 §2.1), except a native client's loopback port.

    RFC 8252 §7.3: a native app listening on the loopback interface gets a port from
    the OS at run time, so for loopback IP literals the port is ignored, and only for
    native clients. No prefix or wildcard matching, ever.
    """
    if candidate in client.redirect_uris:
        return True
    if client.application_type != "native":
        return False
    parts = urlsplit(candidate)
    if parts.scheme != "http" or not _is_loopback_literal(parts.hostname):
        return False
    for registered in client.redirect_uris:
        reg = urlsplit(registered)
        if (reg.scheme, reg.hostname, reg.path, reg.query) == (
            parts.scheme,
            parts.hostname,
            parts.path,
            parts.query,
        ) and not parts.fragment:
            return True
    return False


def _is_loopback_literal(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# -- metadata validation ----------------------------------------------------------------


@dataclass(frozen=True)
class ClientMetadata:
    """Validated client metadata, as given by an operator or by registration."""

    name: str
    redirect_uris: tuple[str, ...] = ()
    post_logout_redirect_uris: tuple[str, ...] = ()
    grant_types: tuple[str, ...] = ("authorization_code",)
    token_endpoint_auth_method: str = "client_secret_basic"
    application_type: str = "web"
    scopes: tuple[str, ...] = ("openid", "profile")
    subject_type: str = "pairwise"
    sector_identifier: str | None = None
    id_token_signed_response_alg: str = "ES256"
    userinfo_signed_response_alg: str | None = None
    jwks: dict[str, Any] | None = None
    jwks_uri: str | None = None
    require_pushed_authorization_requests: bool = False
    pkce: str = "required"
    first_party: bool = False
    allow_id_number: bool = False
    backchannel_logout_uri: str | None = None
    frontchannel_logout_uri: str | None = None
    default_max_age: int | None = None
    require_auth_time: bool = False
    default_acr_values: tuple[str, ...] = ()
    contacts: tuple[str, ...] = ()
    client_uri: str | None = None
    logo_uri: str | None = None


def validate_metadata(meta: ClientMetadata, *, allow_http_loopback: bool) -> ClientMetadata:
    """Check metadata as OpenID Connect Registration §2 and RFC 7591 §2 require.

    ``allow_http_loopback`` (development mode) admits ``http://127.0.0.1``-style
    redirect URIs for web clients; native clients may always use loopback (RFC 8252).
    """
    name = meta.name.strip()
    if not name or len(name) > 200:
        raise InvalidClientMetadata("client_name must be 1 to 200 characters")
    if meta.token_endpoint_auth_method not in AUTH_METHODS:
        raise InvalidClientMetadata(
            f"token_endpoint_auth_method must be one of {', '.join(AUTH_METHODS)}"
        )
    unknown_grants = set(meta.grant_types) - set(GRANT_TYPES)
    if unknown_grants or not meta.grant_types:
        raise InvalidClientMetadata(
            f"grant_types may only contain {', '.join(GRANT_TYPES)} (implicit and password "
            "are not offered)"
        )
    if meta.token_endpoint_auth_method == "none" and "client_credentials" in meta.grant_types:
        raise InvalidClientMetadata(
            "a public client (auth method none) cannot use client_credentials"
        )
    if "refresh_token" in meta.grant_types and "authorization_code" not in meta.grant_types:
        raise InvalidClientMetadata("refresh_token needs the authorization_code grant")
    if meta.application_type not in ("web", "native"):
        raise InvalidClientMetadata("application_type must be web or native")
    uses_redirects = "authorization_code" in meta.grant_types
    if uses_redirects and not meta.redirect_uris:
        raise InvalidRedirectURI("redirect_uris are required for the authorization_code grant")
    for uri in meta.redirect_uris:
        _check_redirect_uri(uri, meta.application_type, allow_http_loopback)
    for uri in meta.post_logout_redirect_uris:
        _check_redirect_uri(uri, meta.application_type, allow_http_loopback)
    unknown_scopes = [
        s
        for s in meta.scopes
        if s not in KNOWN_SCOPES and not s.startswith("licence:") and not s.startswith("api:")
    ]
    if unknown_scopes:
        raise InvalidClientMetadata(f"unknown scopes: {', '.join(unknown_scopes)}")
    if "idnumber" in meta.scopes and not meta.allow_id_number:
        raise InvalidClientMetadata(
            "the idnumber scope needs allow_id_number (an operator decision)"
        )
    if meta.subject_type not in ("pairwise", "public"):
        raise InvalidClientMetadata("subject_type must be pairwise or public")
    if meta.id_token_signed_response_alg not in SIGNING_ALGS:
        raise InvalidClientMetadata(
            f"id_token_signed_response_alg must be one of {', '.join(SIGNING_ALGS)} ('none' is refused)"
        )
    if meta.userinfo_signed_response_alg not in (None, *SIGNING_ALGS):
        raise InvalidClientMetadata(
            f"userinfo_signed_response_alg must be one of {', '.join(SIGNING_ALGS)}"
        )
    if meta.token_endpoint_auth_method == "private_key_jwt" and not (meta.jwks or meta.jwks_uri):
        raise InvalidClientMetadata("private_key_jwt needs jwks or jwks_uri")
    if meta.jwks is not None and meta.jwks_uri is not None:
        raise InvalidClientMetadata("give jwks or jwks_uri, not both (RFC 7591 section 2)")
    if meta.jwks is not None and not (
        isinstance(meta.jwks.get("keys"), list) and meta.jwks["keys"]
    ):
        raise InvalidClientMetadata("jwks must be a JWK Set with at least one key")
    urls: tuple[tuple[str, str | None], ...] = (
        ("jwks_uri", meta.jwks_uri),
        ("backchannel_logout_uri", meta.backchannel_logout_uri),
        ("frontchannel_logout_uri", meta.frontchannel_logout_uri),
        ("client_uri", meta.client_uri),
        ("logo_uri", meta.logo_uri),
    )
    for label, url in urls:
        if url is not None:
            _check_https(label, url, allow_http_loopback)
    if meta.pkce not in ("required", "recommended"):
        raise InvalidClientMetadata("pkce must be required or recommended")
    if meta.pkce == "recommended" and meta.token_endpoint_auth_method == "none":
        raise InvalidClientMetadata("PKCE stays required for public clients")
    if meta.default_max_age is not None and meta.default_max_age < 0:
        raise InvalidClientMetadata("default_max_age must not be negative")
    return replace(meta, name=name)


def _check_redirect_uri(uri: str, application_type: str, allow_http_loopback: bool) -> None:
    parts = urlsplit(uri)
    if not parts.scheme or parts.fragment or "#" in uri:
        raise InvalidRedirectURI(f"{uri!r}: must be an absolute URI without a fragment")
    if "*" in uri:
        raise InvalidRedirectURI(f"{uri!r}: wildcards are not allowed")
    if parts.scheme == "https" and parts.hostname:
        return
    if (
        parts.scheme == "http"
        and _is_loopback_literal(parts.hostname)
        and (application_type == "native" or allow_http_loopback)
    ):
        return
    if (
        application_type == "native"
        and parts.scheme not in ("http", "https")
        and "." in parts.scheme
    ):
        return  # A private-use scheme in reverse-domain form (RFC 8252 §7.1).
    raise InvalidRedirectURI(
        f"{uri!r}: must use https (http only on a loopback address, in development or for "
        "native apps)"
    )


def _check_https(label: str, uri: str, allow_http_loopback: bool) -> None:
    parts = urlsplit(uri)
    if parts.scheme == "https" and parts.hostname:
        return
    if (
        allow_http_loopback
        and parts.scheme == "http"
        and (_is_loopback_literal(parts.hostname) or parts.hostname == "localhost")
    ):
        return
    raise InvalidClientMetadata(f"{label} {uri!r} must be an https URL")


# -- the registry ---------------------------------------------------------------------------


class ClientRegistry:
    """Clients in the database, with a short in-process cache of snapshots."""

    def __init__(self, db: Database, *, allow_http_loopback: bool) -> None:
        self._db = db
        self._allow_http_loopback = allow_http_loopback
        self._cache: dict[str, tuple[float, Client]] = {}
        self._lock = threading.Lock()

    def find(self, client_id: str) -> Client | None:
        """The active client ``client_id``, or None (disabled clients are not found)."""
        cached = self._cache.get(client_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1] if cached[1].active else None
        if not CLIENT_ID_PATTERN.match(client_id):
            return None
        with self._db.transaction() as session:
            rec = session.get(ClientRecord, client_id)
            if rec is None:
                return None
            client = _snapshot(rec)
        with self._lock:
            self._cache[client_id] = (time.monotonic() + CACHE_SECONDS, client)
        return client if client.active else None

    def get(self, client_id: str) -> Client:
        """Any client, active or not; raise :class:`ClientNotFound`."""
        with self._db.transaction() as session:
            rec = session.get(ClientRecord, client_id)
            if rec is None:
                raise ClientNotFound(f"no client {client_id!r}")
            return _snapshot(rec)

    def list(self, department_id: str | None = None) -> Sequence[Client]:
        with self._db.transaction() as session:
            stmt = select(ClientRecord).order_by(ClientRecord.department_id, ClientRecord.name)
            if department_id:
                stmt = stmt.where(ClientRecord.department_id == department_id)
            return [_snapshot(r) for r in session.execute(stmt).scalars()]

    def create(
        self,
        department_id: str,
        meta: ClientMetadata,
        *,
        now: datetime,
        actor: str,
        client_id: str | None = None,
        registered_by: str = "operator",
        registration_token: str | None = None,
    ) -> tuple[Client, str | None]:
        """Register a client; return it and its secret (shown once, never stored)."""
        meta = validate_metadata(meta, allow_http_loopback=self._allow_http_loopback)
        client_id = client_id or secrets.token_urlsafe(16)
        if not CLIENT_ID_PATTERN.match(client_id):
            raise InvalidClientMetadata("client_id must be 3-64 letters, digits, '.', '_' or '-'")
        needs_secret = meta.token_endpoint_auth_method in (
            "client_secret_basic",
            "client_secret_post",
        )
        secret = generate_secret() if needs_secret else None
        with self._db.transaction() as session:
            if session.get(Department, department_id) is None:
                raise DepartmentNotFound(f"no department {department_id!r}")
            if session.get(ClientRecord, client_id) is not None:
                raise InvalidClientMetadata(f"client_id {client_id!r} is taken")
            rec = ClientRecord(
                client_id=client_id,
                department_id=department_id,
                status="active",
                secret_hash=hash_secret(secret) if secret else None,
                registered_by=registered_by,
                registration_token_hash=hash_secret(registration_token)
                if registration_token
                else None,
                created_at=now,
                updated_at=now,
                **_columns(meta),
            )
            session.add(rec)
            audit_record(
                session,
                actor=actor,
                action="client.create",
                target=f"client:{client_id}",
                now=now,
                details={
                    "department": department_id,
                    "name": meta.name,
                    "grant_types": list(meta.grant_types),
                    "registered_by": registered_by,
                },
            )
            client = _snapshot(rec)
        return client, secret

    def update(
        self, client_id: str, changes: dict[str, Any], *, now: datetime, actor: str
    ) -> Client:
        """Apply metadata changes (validated as a whole) and return the new snapshot."""
        with self._db.transaction() as session:
            rec = session.get(ClientRecord, client_id)
            if rec is None:
                raise ClientNotFound(f"no client {client_id!r}")
            current = metadata_of(_snapshot(rec))
            unknown = set(changes) - set(ClientMetadata.__dataclass_fields__)
            if unknown:
                raise InvalidClientMetadata(f"unknown client fields: {', '.join(sorted(unknown))}")
            meta = validate_metadata(
                replace(current, **changes), allow_http_loopback=self._allow_http_loopback
            )
            if (
                meta.token_endpoint_auth_method in ("client_secret_basic", "client_secret_post")
                and rec.secret_hash is None
            ):
                raise InvalidClientMetadata(
                    "switching to a secret needs a new secret: use `tongban client rotate-secret`"
                )
            for name, value in _columns(meta).items():
                setattr(rec, name, value)
            rec.updated_at = now
            audit_record(
                session,
                actor=actor,
                action="client.update",
                target=f"client:{client_id}",
                now=now,
                details={"fields": sorted(changes)},
            )
            client = _snapshot(rec)
        self.forget(client_id)
        return client

    def set_status(self, client_id: str, status: str, *, now: datetime, actor: str) -> Client:
        with self._db.transaction() as session:
            rec = session.get(ClientRecord, client_id)
            if rec is None:
                raise ClientNotFound(f"no client {client_id!r}")
            rec.status = status
            rec.updated_at = now
            audit_record(
                session,
                actor=actor,
                action=f"client.{'disable' if status != 'active' else 'enable'}",
                target=f"client:{client_id}",
                now=now,
            )
            client = _snapshot(rec)
        self.forget(client_id)
        return client

    def rotate_secret(self, client_id: str, *, now: datetime, actor: str) -> str:
        secret = generate_secret()
        with self._db.transaction() as session:
            rec = session.get(ClientRecord, client_id)
            if rec is None:
                raise ClientNotFound(f"no client {client_id!r}")
            if rec.token_endpoint_auth_method not in ("client_secret_basic", "client_secret_post"):
                raise InvalidClientMetadata(
                    f"client {client_id!r} authenticates with {rec.token_endpoint_auth_method}, "
                    "not a secret"
                )
            rec.secret_hash = hash_secret(secret)
            rec.updated_at = now
            audit_record(
                session,
                actor=actor,
                action="client.rotate_secret",
                target=f"client:{client_id}",
                now=now,
            )
        self.forget(client_id)
        return secret

    def delete(self, client_id: str, *, now: datetime, actor: str) -> None:
        """Disable for good (RFC 7592 delete): the row stays, as the audit trail refers to it."""
        self.set_status(client_id, "deleted", now=now, actor=actor)

    def check_registration_token(self, client_id: str, token: str) -> Client:
        """The client whose RFC 7592 registration access token ``token`` is."""
        with self._db.transaction() as session:
            rec = session.get(ClientRecord, client_id)
            if (
                rec is None
                or rec.status == "deleted"
                or rec.registration_token_hash is None
                or not hmac.compare_digest(rec.registration_token_hash, hash_secret(token))
            ):
                raise ClientNotFound("unknown client or registration access token")
            return _snapshot(rec)

    def forget(self, client_id: str) -> None:
        with self._lock:
            self._cache.pop(client_id, None)


def metadata_of(client: Client) -> ClientMetadata:
    names = ClientMetadata.__dataclass_fields__
    return ClientMetadata(**{n: getattr(client, n) for n in names})


def _columns(meta: ClientMetadata) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in ClientMetadata.__dataclass_fields__:
        value = getattr(meta, name)
        values[name] = list(value) if isinstance(value, tuple) else value
    return values


def _snapshot(rec: ClientRecord) -> Client:
    def t(values: Iterable[str] | None) -> tuple[str, ...]:
        return tuple(values or ())

    return Client(
        client_id=rec.client_id,
        department_id=rec.department_id,
        name=rec.name,
        status=rec.status,
        application_type=rec.application_type,
        token_endpoint_auth_method=rec.token_endpoint_auth_method,
        secret_hash=rec.secret_hash,
        redirect_uris=t(rec.redirect_uris),
        post_logout_redirect_uris=t(rec.post_logout_redirect_uris),
        grant_types=t(rec.grant_types),
        scopes=t(rec.scopes),
        subject_type=rec.subject_type,
        sector_identifier=rec.sector_identifier,
        id_token_signed_response_alg=rec.id_token_signed_response_alg,
        userinfo_signed_response_alg=rec.userinfo_signed_response_alg,
        jwks=rec.jwks,
        jwks_uri=rec.jwks_uri,
        require_pushed_authorization_requests=rec.require_pushed_authorization_requests,
        pkce=rec.pkce,
        first_party=rec.first_party,
        allow_id_number=rec.allow_id_number,
        backchannel_logout_uri=rec.backchannel_logout_uri,
        frontchannel_logout_uri=rec.frontchannel_logout_uri,
        default_max_age=rec.default_max_age,
        require_auth_time=rec.require_auth_time,
        default_acr_values=t(rec.default_acr_values),
        contacts=t(rec.contacts),
        client_uri=rec.client_uri,
        logo_uri=rec.logo_uri,
        registered_by=rec.registered_by,
    )


# -- registration access (RFC 7591 §3 initial access tokens) -------------------------------


def issue_registration_token(
    db: Database, department_id: str, *, uses: int, days: int, now: datetime, actor: str
) -> str:
    """An initial access token that lets its holder register ``uses`` clients in
    ``department_id`` within ``days``. Shown once; stored as a hash."""
    from datetime import timedelta

    from idp.models import RegistrationToken

    if not 1 <= uses <= 1000 or not 1 <= days <= 365:
        raise InvalidClientMetadata("uses must be 1..1000 and days 1..365")
    token = secrets.token_urlsafe(32)
    with db.transaction() as session:
        if session.get(Department, department_id) is None:
            raise DepartmentNotFound(f"no department {department_id!r}")
        session.add(
            RegistrationToken(
                token_hash=hash_secret(token),
                department_id=department_id,
                created_at=now,
                expires_at=now + timedelta(days=days),
                uses_left=uses,
            )
        )
        audit_record(
            session,
            actor=actor,
            action="client.registration_token",
            target=f"department:{department_id}",
            now=now,
            details={"uses": uses, "days": days},
        )
    return token


def use_registration_token(db: Database, token: str, *, now: datetime) -> str | None:
    """Spend one use of an initial access token; return its department, or None."""
    from sqlalchemy import update

    from idp.models import RegistrationToken

    digest = hash_secret(token)
    with db.transaction() as session:
        result = session.execute(
            update(RegistrationToken)
            .where(
                RegistrationToken.token_hash == digest,
                RegistrationToken.uses_left > 0,
                RegistrationToken.expires_at > now,
            )
            .values(uses_left=RegistrationToken.uses_left - 1)
            .returning(RegistrationToken.department_id)
        ).first()
    return None if result is None else str(result[0])

"""The authorization endpoint (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2).

:class:`AuthorizationFlow` decides what happens to a request: an error page (when the
client or redirect URI cannot be trusted, the user is never redirected), an error
sent back to the client, the login, account-choice or consent page, or a code. While
the person logs in or consents, the validated request waits in the ephemeral store
as an *interaction*; the pages resume it by id.

Outcomes are plain values; ``idp.web`` renders them.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Final
from urllib.parse import urlencode
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc6749 import OAuth2Error
from authlib.oidc.core.errors import ConsentRequiredError
from authlib.oidc.core.errors import InteractionRequiredError
from authlib.oidc.core.errors import LoginRequiredError
from werkzeug.datastructures import MultiDict

from idp.accounts import Person
from idp.acr import level_of
from idp.acr import required_level
from idp.claims import ClaimsRequestError
from idp.claims import parse_claims_request
from idp.clients import Client
from idp.errors import PersonNotFound
from idp.oauth import request_params
from idp.oauth.server import OAuthServer
from idp.oauth.server import ParamsRequest
from idp.oauth.tokens import AuthContext
from idp.sessions import BrowserSession
from keys.jose import JWTError
from keys.jose import verify_jwt

INTERACTION_KEY: Final = "interaction:"
RESPONSE_MODES: Final = ("query", "form_post")
PROMPTS: Final = frozenset({"none", "login", "consent", "select_account"})


class UnmetAuthenticationRequirements(OAuth2Error):
    """OpenID Connect Unmet Authentication Requirements 1.0: the login could not reach
    the level the client asked for, and Tongban does not silently issue a lower one."""

    error = "unmet_authentication_requirements"


# -- outcomes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErrorPage:
    status: int
    error: str
    description: str


@dataclass(frozen=True)
class RedirectTo:
    location: str


@dataclass(frozen=True)
class FormPost:
    action: str
    fields: list[tuple[str, str]]


@dataclass(frozen=True)
class ShowLogin:
    interaction: str
    client: Client
    login_hint: str | None
    required_level: int


@dataclass(frozen=True)
class ShowSelectAccount:
    interaction: str
    client: Client
    person: Person


@dataclass(frozen=True)
class ShowConsent:
    interaction: str
    client: Client
    person: Person
    scopes: tuple[str, ...]


Outcome = ErrorPage | RedirectTo | FormPost | ShowLogin | ShowSelectAccount | ShowConsent


@dataclass
class Interaction:
    """A validated authorization request waiting for the person."""

    id: str
    params: list[list[str]]
    client_id: str
    pushed: bool = False
    login_done: bool = False
    consent_done: bool = False
    account_chosen: bool = False
    #: Whether it waited in the store (a silent request never does).
    saved: bool = False
    started_at: int = field(default_factory=lambda: int(time.time()))

    @property
    def multidict(self) -> MultiDict[str, str]:
        return MultiDict([(k, v) for k, v in self.params])


class AuthorizationFlow:
    def __init__(self, server: OAuthServer) -> None:
        self._server = server
        self._p = server.provider

    # -- entry points ---------------------------------------------------------------------

    def start(self, raw: MultiDict[str, str], session: BrowserSession | None) -> Outcome:
        """A fresh request to /authorize."""
        try:
            params, pushed, client = self._resolve(raw)
        except OAuth2Error as error:
            return ErrorPage(400, error.error, error.get_error_description())
        interaction = Interaction(
            id=secrets.token_urlsafe(24),
            params=request_params.as_json(params),
            client_id=client.client_id if client else "",
            pushed=pushed,
        )
        return self._proceed(interaction, session)

    def resume(
        self,
        interaction_id: str,
        session: BrowserSession | None,
        *,
        after: str | None = None,
        approve: bool | None = None,
    ) -> Outcome:
        """Continue after the person logged in (``after="login"``), chose an account
        (``"account"``) or answered the consent page (``"consent"``, ``approve``)."""
        interaction = self._load(interaction_id)
        if interaction is None:
            return ErrorPage(
                400,
                "interaction_expired",
                "This sign-in request has expired or was already used; "
                "please start again from the service you came from.",
            )
        if after == "login":
            interaction.login_done = True
        elif after == "account":
            interaction.account_chosen = True
        elif after == "consent":
            if not approve:
                return self._fail(interaction, _error("access_denied", "the person declined"))
            interaction.consent_done = True
        return self._proceed(interaction, session)

    def interaction(self, interaction_id: str) -> Interaction | None:
        return self._load(interaction_id)

    # -- the decision -------------------------------------------------------------------------

    def _proceed(self, interaction: Interaction, session: BrowserSession | None) -> Outcome:
        params = interaction.multidict
        person = self._person_of(session)
        request = ParamsRequest(self._p.issuer + "/authorize", params)
        try:
            grant = self._server.get_consent_grant(request, end_user=person)
        except OAuth2Error as error:
            return self._error_outcome(error, params)
        client: Client = request.client
        redirect_uri = grant.redirect_uri
        try:
            self._check_extras(client, params, interaction)
            claims_request = parse_claims_request(params.get("claims"))
        except ClaimsRequestError as exc:
            return self._send_error(InvalidRequestError(str(exc)), params, redirect_uri)
        except OAuth2Error as error:
            return self._send_error(error, params, redirect_uri)
        prompts = set(params.get("prompt", "").split())
        silent = "none" in prompts
        level = required_level(
            [
                *params.get("acr_values", "").split(),
                *claims_request.essential_acr_values(),
                *client.default_acr_values,
            ]
        )

        login_reason = self._login_reason(
            session, person, client, params, prompts, level, interaction
        )
        if login_reason is not None:
            if interaction.login_done and login_reason == "acr":
                return self._send_error(
                    UnmetAuthenticationRequirements(
                        description=f"this sign-in reached level "
                        f"{level_of(session.acr if session else None)}, the client requires "
                        f"level {level}"
                    ),
                    params,
                    redirect_uri,
                )
            if silent:
                needed = (
                    InteractionRequiredError() if login_reason == "acr" else LoginRequiredError()
                )
                return self._send_error(needed, params, redirect_uri)
            self._save(interaction)
            return ShowLogin(interaction.id, client, params.get("login_hint"), level)
        if person is None or session is None:  # pragma: no cover (login_reason covers it)
            raise RuntimeError("no session after the login check")

        # A login in this very interaction is the account choice.
        if "select_account" in prompts and not (
            interaction.account_chosen or interaction.login_done
        ):
            self._save(interaction)
            return ShowSelectAccount(interaction.id, client, person)

        scopes = tuple(dict.fromkeys((request.scope or "").split()))
        needed = set(scopes) | (claims_request.scopes_needed & set(client.scopes))
        must_ask = ("consent" in prompts and not interaction.consent_done) or (
            not client.first_party
            and not interaction.consent_done
            and not self._p.consents.covers(person.id, client.client_id, needed)
        )
        if must_ask:
            if silent:
                return self._send_error(ConsentRequiredError(), params, redirect_uri)
            self._save(interaction)
            return ShowConsent(interaction.id, client, person, tuple(sorted(needed)))
        if interaction.consent_done:
            self._p.consents.grant(person.id, client.client_id, needed, now=_utcnow())

        return self._issue_code(
            interaction, grant, request, client, session, person, claims_request.as_json()
        )

    def _login_reason(
        self,
        session: BrowserSession | None,
        person: Person | None,
        client: Client,
        params: MultiDict[str, str],
        prompts: set[str],
        level: int,
        interaction: Interaction,
    ) -> str | None:
        if session is None or person is None:
            return "no_session"
        if "login" in prompts and not interaction.login_done:
            return "prompt"
        max_age = params.get("max_age") or (
            str(client.default_max_age) if client.default_max_age is not None else None
        )
        if max_age is not None:
            # OpenID Connect Core §3.1.2.1: max_age=0 is the same as prompt=login.
            if int(max_age) == 0 and not interaction.login_done:
                return "max_age"
            if int(time.time()) - session.auth_time > int(max_age):
                return "max_age"
        if level > level_of(session.acr):
            return "acr"
        hint = params.get("id_token_hint")
        if hint and self._hinted_person(hint, client) != person.id:
            return "id_token_hint"
        return None

    def _issue_code(
        self,
        interaction: Interaction,
        grant: Any,
        request: ParamsRequest,
        client: Client,
        session: BrowserSession,
        person: Person,
        claims: dict[str, Any],
    ) -> Outcome:
        sub = self._p.subjects.sub_for(client.sector, person.id, now=_utcnow())
        request.auth_context = AuthContext(
            person_id=person.id,
            sub=sub,
            sid=session.public_id,
            auth_time=session.auth_time,
            acr=session.acr,
            amr=session.amr,
            claims=claims if (claims["id_token"] or claims["userinfo"]) else {},
            nonce=request.payload.data.get("nonce"),
            entity_id=session.acting_for,
        )
        response = self._server.create_authorization_response(
            request, grant_user=person, grant=grant
        )
        self._p.note_client(session, client.client_id)
        if interaction.saved:
            self._forget(interaction.id)
        location = response.headers.get("Location", "")
        return self._respond(location, request.payload.data)

    # -- parameters ---------------------------------------------------------------------------

    def _resolve(self, raw: MultiDict[str, str]) -> tuple[MultiDict[str, str], bool, Client | None]:
        client_id = raw.get("client_id")
        client = self._server.query_client(client_id) if client_id else None
        if "request_uri" in raw:
            params = request_params.take_pushed(self._p.ephemeral, raw["request_uri"], client_id)
            return params, True, client
        if client is not None and client.require_pushed_authorization_requests:
            raise InvalidRequestError("this client must push its authorization requests (PAR)")
        if "request" in raw:
            if client is None:
                raise InvalidRequestError("a request object needs a known client_id")
            return (
                request_params.unpack_request_object(
                    raw["request"], raw, client, self._server.client_keys, self._p.issuer
                ),
                False,
                client,
            )
        return raw, False, client

    def _check_extras(
        self, client: Client, params: MultiDict[str, str], interaction: Interaction
    ) -> None:
        mode = params.get("response_mode", "query")
        if mode not in RESPONSE_MODES:
            raise InvalidRequestError("response_mode must be query or form_post")
        prompts = set(params.get("prompt", "").split())
        if prompts - PROMPTS:
            raise InvalidRequestError(
                f"unknown prompt value: {' '.join(sorted(prompts - PROMPTS))}"
            )
        if "none" in prompts and len(prompts) > 1:
            raise InvalidRequestError("prompt=none cannot be combined with other values")
        max_age = params.get("max_age")
        if max_age is not None and (not max_age.isdigit() or len(max_age) > 9):
            raise InvalidRequestError("max_age must be a whole number of seconds")
        scopes = params.get("scope", "").split()
        if "openid" in scopes and not params.get("redirect_uri"):
            raise InvalidRequestError(
                "redirect_uri is required (OpenID Connect Core section 3.1.2.1)"
            )
        if "idnumber" in scopes and not client.allow_id_number:
            raise InvalidRequestError("this client may not ask for the idnumber scope")
        for name in ("state", "nonce", "login_hint"):
            if len(params.get(name, "")) > 2000:
                raise InvalidRequestError(f"{name} is too long")

    # -- people --------------------------------------------------------------------------------

    def _person_of(self, session: BrowserSession | None) -> Person | None:
        if session is None:
            return None
        try:
            person = self._p.accounts.recent(session.person_id)
        except PersonNotFound:
            return None
        return person if person.active else None

    def _hinted_person(self, id_token_hint: str, client: Client) -> str | None:
        """The person an ``id_token_hint`` we issued names (expired hints count, §3.1.2.1)."""

        def key_for(kid: str | None) -> Any:
            for purpose in self._p.signing_purposes():
                try:
                    return self._p.keys.verification_key(purpose, kid)
                except Exception:  # noqa: S112 (try the next purpose)
                    continue
            raise JWTError("unknown kid")

        try:
            claims = verify_jwt(
                id_token_hint, key_for, issuer=self._p.issuer, leeway=10**9, require=("sub", "aud")
            )
        except (JWTError, ValueError):
            return None
        audience = claims.get("aud")
        if client.client_id not in (audience if isinstance(audience, list) else [audience]):
            return None
        return self._p.subjects.person_for(client.sector, str(claims["sub"]))

    # -- responses ------------------------------------------------------------------------------

    def _error_outcome(self, error: OAuth2Error, params: MultiDict[str, str]) -> Outcome:
        """Before the redirect URI is trusted the person sees a page; after, the client hears."""
        redirect_uri = getattr(error, "redirect_uri", None)
        if not redirect_uri:
            return ErrorPage(400, error.error, error.get_error_description())
        return self._send_error(error, params, redirect_uri)

    def _send_error(
        self, error: OAuth2Error, params: MultiDict[str, str], redirect_uri: str
    ) -> Outcome:
        fields = [("error", error.error)]
        if error.description:
            fields.append(("error_description", error.description))
        if params.get("state"):
            fields.append(("state", params["state"]))
        fields.append(("iss", self._p.issuer))
        return self._deliver(redirect_uri, fields, params.get("response_mode"))

    def _fail(self, interaction: Interaction, error: OAuth2Error) -> Outcome:
        self._forget(interaction.id)
        params = interaction.multidict
        request = ParamsRequest(self._p.issuer + "/authorize", params)
        try:
            grant = self._server.get_consent_grant(request, end_user=None)
        except OAuth2Error as early:
            return self._error_outcome(early, params)
        return self._send_error(error, params, grant.redirect_uri)

    def _respond(self, location: str, params: MultiDict[str, str]) -> Outcome:
        """Add ``iss`` (RFC 9207) to Authlib's redirect and deliver it in the response mode."""
        parts = urlsplit(location)
        fields = [(k, v) for k, v in _query_pairs(parts.query) if k in ("code", "state")]
        base_query = [(k, v) for k, v in _query_pairs(parts.query) if k not in ("code", "state")]
        fields.append(("iss", self._p.issuer))
        base = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(base_query), ""))
        return self._deliver(base, fields, params.get("response_mode"))

    def _deliver(
        self, redirect_uri: str, fields: list[tuple[str, str]], mode: str | None
    ) -> Outcome:
        if mode == "form_post":
            return FormPost(redirect_uri, fields)
        parts = urlsplit(redirect_uri)
        query = urlencode([*_query_pairs(parts.query), *fields])
        return RedirectTo(urlunsplit((parts.scheme, parts.netloc, parts.path, query, "")))

    # -- storage --------------------------------------------------------------------------------

    def _save(self, interaction: Interaction) -> None:
        interaction.saved = True
        body = json.dumps(interaction.__dict__).encode()
        self._p.ephemeral.put(
            INTERACTION_KEY + interaction.id, body, ttl=self._p.settings.idp.interaction_seconds
        )

    def _load(self, interaction_id: str) -> Interaction | None:
        if not interaction_id or len(interaction_id) > 64:
            return None
        raw = self._p.ephemeral.get(INTERACTION_KEY + interaction_id)
        return Interaction(**json.loads(raw)) if raw else None

    def _forget(self, interaction_id: str) -> None:
        self._p.ephemeral.delete(INTERACTION_KEY + interaction_id)


def _error(code: str, description: str) -> OAuth2Error:
    error = OAuth2Error(description=description)
    error.error = code
    return error


def _query_pairs(query: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return parse_qsl(query, keep_blank_values=True)


def _utcnow() -> Any:
    from datetime import UTC
    from datetime import datetime

    return datetime.now(UTC)

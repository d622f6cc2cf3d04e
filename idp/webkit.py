"""What the identity pages share: the provider, page rendering, CSRF, the browser
session cookie, client addresses, translated error texts, and the steps every login
ends with (second factor, real-name step-up, entity choice, back to the client)."""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Any
from typing import Final
from urllib.parse import urlsplit

from flask import Response
from flask import current_app
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import session as flask_session
from flask import url_for
from flask_wtf.csrf import generate_csrf
from flask_wtf.csrf import validate_csrf
from werkzeug.wrappers import Response as HTTPResponse
from wtforms import ValidationError

from config.errors import TongbanError
from idp.accounts import Person
from idp.acr import acr_for
from idp.acr import required_level
from idp.authn.errors import OneTimeCodeInvalid
from idp.authn.errors import RateLimited
from idp.authn.ratelimit import describe_wait
from idp.claims import ClaimsRequestError
from idp.claims import parse_claims_request
from idp.clients import Client
from idp.departments import get_department
from idp.errors import DepartmentNotFound
from idp.errors import PersonNotFound
from idp.login import LoginResult
from idp.messages import MESSAGES
from idp.oauth.authorize import AuthorizationFlow
from idp.oauth.authorize import FormPost
from idp.oauth.authorize import Interaction
from idp.oauth.authorize import Outcome
from idp.oauth.authorize import RedirectTo
from idp.oauth.authorize import ShowConsent
from idp.oauth.authorize import ShowLogin
from idp.oauth.authorize import ShowSelectAccount
from idp.oauth.server import OAuthServer
from idp.oauth.upstream import UpstreamClient
from idp.provider import Provider
from idp.sessions import BrowserSession

SESSION_COOKIE: Final = "tb_sid"
#: Read by the composition root's security headers (tongban.security) to widen form-action.
FORM_TARGETS_HEADER: Final = "X-Tongban-Form-Targets"
NO_STORE: Final = {"Cache-Control": "no-store", "Pragma": "no-cache"}
PENDING_KEY: Final = "pending-login:"
PENDING_SECONDS: Final = 300


@dataclass
class IdpState:
    provider: Provider
    server: OAuthServer
    flow: AuthorizationFlow
    discovery: bytes
    oauth_metadata: bytes
    #: The upstream provider's client when federation is on (``federation.issuer``).
    upstream: UpstreamClient | None = None


def state() -> IdpState:
    found: IdpState = current_app.extensions["idp"]
    return found


def provider() -> Provider:
    return state().provider


def utcnow() -> datetime:
    return datetime.now(UTC)


# -- pages ------------------------------------------------------------------------------------


def page(
    template: str, http_status: int, *, form_targets: list[str] | None = None, **context: Any
) -> HTTPResponse:
    context.setdefault("csrf_token", generate_csrf())
    response = Response(
        render_template(template, **context), status=http_status, mimetype="text/html"
    )
    response.headers.update(NO_STORE)
    # A login, account or consent form is answered with a redirect to the client: the
    # page's form-action must allow the client's origin (browsers check redirects too).
    targets = list(form_targets or [])
    interaction = context.get("interaction")
    if interaction:
        pending = state().flow.interaction(str(interaction))
        if pending is not None:
            redirect_uri = pending.multidict.get("redirect_uri")
            client = provider().clients.find(pending.client_id)
            targets.extend(
                [redirect_uri] if redirect_uri else list(client.redirect_uris if client else ())
            )
    origins = sorted({o for o in (_origin_of(t) for t in targets) if o})
    if origins:
        response.headers[FORM_TARGETS_HEADER] = " ".join(origins)
    return response


def _origin_of(uri: str) -> str | None:
    """``https://host:port`` for web URLs, ``scheme:`` for a native app's private scheme."""
    parts = urlsplit(uri)
    if parts.scheme in ("http", "https") and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return f"{parts.scheme}:" if parts.scheme else None


def csrf_ok() -> bool:
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        return False
    return True


def tr(key: str, **values: object) -> str:
    """A text of the identity catalogue in the page's language (zh-CN first)."""
    locale = g.get("locale", "zh-CN")
    text = MESSAGES.get(locale, {}).get(key) or MESSAGES["zh-CN"].get(key) or key
    return text.format(**values) if values else text


def error_text(exc: TongbanError) -> str:
    """The person-facing text of an expected error: a translation of its code where the
    catalogue has one (with the waiting time or tries left filled in), else its own
    message (which is English and precise)."""
    locale = g.get("locale", "zh-CN")
    if isinstance(exc, OneTimeCodeInvalid):
        key = f"err.{exc.code}"
        return tr(key, left=exc.attempts_left) if key in MESSAGES[locale] else exc.message
    if isinstance(exc, RateLimited):
        wait = _wait_text(exc.retry_after)
        return tr("err.rate_limited", wait=wait)
    text = MESSAGES.get(locale, {}).get(f"err.{exc.code}")
    if text and locale != "en":
        return text
    return exc.message


def _wait_text(seconds: int) -> str:
    if g.get("locale", "zh-CN") == "en":
        return describe_wait(seconds)
    if seconds < 60:
        return f"{seconds} 秒"
    if seconds < 3600:
        return f"{-(-seconds // 60)} 分钟"
    return f"{-(-seconds // 3600)} 小时"


def render(outcome: Outcome) -> HTTPResponse:
    if isinstance(outcome, RedirectTo):
        response = redirect(outcome.location, 302)
        response.headers.update(NO_STORE)
        return response
    if isinstance(outcome, FormPost):
        return page(
            "idp/form_post.html",
            200,
            action=outcome.action,
            fields=outcome.fields,
            form_targets=[outcome.action],
        )
    if isinstance(outcome, ShowLogin):
        return redirect(url_for("idp.login", interaction=outcome.interaction), 303)
    if isinstance(outcome, ShowSelectAccount):
        return redirect(url_for("idp.select_account", interaction=outcome.interaction), 303)
    if isinstance(outcome, ShowConsent):
        return redirect(url_for("idp.consent", interaction=outcome.interaction), 303)
    # The person sees a plain explanation; the protocol error code is kept for support.
    return page(
        "error.html",
        outcome.status,
        status=outcome.status,
        detail=f"{outcome.description} ({outcome.error})",
    )


def department_name(client: Client | None) -> str:
    if client is None:
        return ""
    try:
        return get_department(provider().db, client.department_id).name
    except DepartmentNotFound:
        return client.department_id


# -- who is asking ----------------------------------------------------------------------------


def client_address() -> str:
    """The client's address (after ``server.proxy_hops`` trusted proxies)."""
    return request.remote_addr or "unknown"


def peer_address() -> str | None:
    """The address of the machine that connected to us, before any proxy headers."""
    original = request.environ.get("werkzeug.proxy_fix.orig")
    if isinstance(original, dict) and original.get("REMOTE_ADDR"):
        return str(original["REMOTE_ADDR"])
    return request.environ.get("REMOTE_ADDR")


def browser_session() -> BrowserSession | None:
    cached = g.get("idp_session", False)
    if cached is not False:
        return cached  # type: ignore[no-any-return]
    found = provider().sessions.get(request.cookies.get(SESSION_COOKIE), now=int(time.time()))
    g.idp_session = found
    return found


def set_session_cookie(response: HTTPResponse, session: BrowserSession) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        session.sid,
        httponly=True,
        samesite="Lax",
        path="/",
        secure=provider().settings.production,
        max_age=provider().settings.idp.session_max_seconds,
    )


def safe_next(target: str | None) -> str | None:
    """A local path to return to after login (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


# -- interactions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Waiting:
    """The authorization request a page works for, if any."""

    id: str
    interaction: Interaction | None
    client: Client | None

    @property
    def params(self) -> Any:
        return self.interaction.multidict if self.interaction else {}

    @property
    def required_level(self) -> int:
        if self.interaction is None:
            return 0
        params = self.interaction.multidict
        try:
            essential = parse_claims_request(params.get("claims")).essential_acr_values()
        except ClaimsRequestError:
            essential = ()
        defaults = self.client.default_acr_values if self.client else ()
        return required_level([*params.get("acr_values", "").split(), *essential, *defaults])


def waiting(interaction_id: str | None = None) -> Waiting:
    interaction_id = interaction_id or request.values.get("interaction", "")
    found = state().flow.interaction(interaction_id) if interaction_id else None
    client = provider().clients.find(found.client_id) if found else None
    return Waiting(interaction_id if found else "", found, client)


# -- the end of every login ---------------------------------------------------------------------


def finish_login(
    result: LoginResult,
    interaction_id: str,
    *,
    acting_for: str | None = None,
    next_path: str | None = None,
) -> HTTPResponse:
    """Ask for the second factor if it is due; else start the session and go on."""
    p = provider()
    if result.totp_due:
        pending = secrets.token_urlsafe(24)
        body = {
            "person": result.person.id,
            "amr": list(result.amr),
            "login": result.login_name,
            "interaction": interaction_id,
            "next": next_path,
        }
        p.ephemeral.put(PENDING_KEY + pending, json.dumps(body).encode(), PENDING_SECONDS)
        flask_session["tb_pending"] = pending
        return redirect(url_for("authn.totp"), 303)
    session = p.start_session(
        result.person.id,
        acr=result.acr,
        amr=result.amr,
        address=request.remote_addr,
        user_agent=request.headers.get("User-Agent"),
        previous=browser_session(),
    )
    if acting_for is not None:
        session = p.sessions.update(session, now=int(time.time()), acting_for=acting_for)
    g.idp_session = session
    response = after_login(
        session,
        interaction_id,
        entity_chosen=acting_for is not None,
        next_path=next_path,
        person=result.person,
    )
    set_session_cookie(response, session)
    return response


def take_pending_login() -> dict[str, Any] | None:
    pending = flask_session.get("tb_pending")
    if not isinstance(pending, str):
        return None
    raw = provider().ephemeral.get(PENDING_KEY + pending)
    return json.loads(raw) if raw else None


def forget_pending_login() -> None:
    pending = flask_session.pop("tb_pending", None)
    if isinstance(pending, str):
        provider().ephemeral.delete(PENDING_KEY + pending)


def after_login(
    session: BrowserSession,
    interaction_id: str,
    *,
    entity_chosen: bool = False,
    next_path: str | None = None,
    person: Person | None = None,
) -> HTTPResponse:
    """Real-name step-up when the client needs level 2+, the entity choice when the
    person acts for entities, then back to the client (or the account page)."""
    p = provider()
    if person is None or person.id != session.person_id:
        try:
            person = p.accounts.get(session.person_id)
        except PersonNotFound:
            return redirect(url_for("idp.login"), 303)
    wait = waiting(interaction_id)
    if wait.required_level >= 2 and person.loa < 2:
        return redirect(url_for("account.realname", interaction=wait.id or None), 303)
    if not entity_chosen and p.entities.acts_for_any(person.id, now=utcnow()):
        roles = p.entities.roles_of(person.id, now=utcnow())
        if roles:
            hint = str(wait.params.get("entity_hint", "")).strip().upper()
            hinted = next((r for r in roles if r.entity.credit_code == hint), None)
            if hinted is None:
                return redirect(
                    url_for("authn.entity", interaction=wait.id or None, next=next_path), 303
                )
            session = p.sessions.update(session, now=int(time.time()), acting_for=hinted.entity.id)
            g.idp_session = session
    return continue_after_login(session, wait.id, next_path=next_path)


def continue_after_login(
    session: BrowserSession, interaction_id: str, *, next_path: str | None = None
) -> HTTPResponse:
    if interaction_id:
        return render(state().flow.resume(interaction_id, session, after="login"))
    home = current_app.config.get("TONGBAN_HOME_ENDPOINT", "account.overview")
    return redirect(safe_next(next_path) or url_for(home), 303)


def refresh_acr(session: BrowserSession, loa: int) -> BrowserSession:
    """The session's level after the account's level changed (real-name verification)."""
    updated = provider().sessions.update(
        session, now=int(time.time()), acr=acr_for(loa, session.amr)
    )
    g.idp_session = updated
    return updated

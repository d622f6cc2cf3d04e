"""HTTP endpoints of the identity provider: parse, call the protocol layer, render.

Protocol endpoints (``/token``, ``/userinfo``, ``/par``, ...) answer in JSON as their
RFCs say; the pages (``/login``, ``/consent``) are plain HTML forms that password
managers and automated clients understand.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Any
from typing import Final
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc6749 import OAuth2Error
from flask import Blueprint
from flask import Flask
from flask import Response
from flask import current_app
from flask import g
from flask import json
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_wtf.csrf import generate_csrf
from flask_wtf.csrf import validate_csrf
from werkzeug.wrappers import Response as HTTPResponse
from wtforms import ValidationError

from idp.departments import get_department
from idp.deps import IdpDeps
from idp.errors import DepartmentNotFound
from idp.errors import LoginFailed
from idp.oauth import registration
from idp.oauth import request_params
from idp.oauth.authorize import AuthorizationFlow
from idp.oauth.authorize import ErrorPage
from idp.oauth.authorize import FormPost
from idp.oauth.authorize import Outcome
from idp.oauth.authorize import RedirectTo
from idp.oauth.authorize import ShowConsent
from idp.oauth.authorize import ShowLogin
from idp.oauth.authorize import ShowSelectAccount
from idp.oauth.discovery import metadata_bytes
from idp.oauth.grants import ALL_CLIENT_AUTH
from idp.oauth.server import OAuthServer
from idp.oauth.server import ParamsRequest
from idp.oauth.userinfo import userinfo as userinfo_response
from idp.provider import Provider
from idp.sessions import BrowserSession

bp = Blueprint(
    "idp",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/idp-static",
)
SESSION_COOKIE: Final = "tb_sid"
#: Read by the composition root's security headers (tongban.security) to widen form-action.
FORM_TARGETS_HEADER: Final = "X-Tongban-Form-Targets"
NO_STORE: Final = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@dataclass
class IdpState:
    provider: Provider
    server: OAuthServer
    flow: AuthorizationFlow
    discovery: bytes
    oauth_metadata: bytes


def init_app(app: Flask, deps: IdpDeps) -> None:
    provider = Provider(deps)
    server = OAuthServer(provider)
    registration_open = provider.settings.idp.registration != "closed"
    document = metadata_bytes(provider.issuer, registration_open=registration_open)
    app.extensions["idp"] = IdpState(
        provider, server, AuthorizationFlow(server), document, document
    )
    app.register_blueprint(bp)
    from idp import logout_web

    app.register_blueprint(logout_web.bp)


def state() -> IdpState:
    found: IdpState = current_app.extensions["idp"]
    return found


def provider() -> Provider:
    return state().provider


# -- discovery and keys -------------------------------------------------------------------------


@bp.get("/.well-known/openid-configuration")
def openid_configuration() -> HTTPResponse:
    return _json_bytes(state().discovery, cache="public, max-age=300")


@bp.get("/.well-known/oauth-authorization-server")
def oauth_metadata() -> HTTPResponse:
    return _json_bytes(state().oauth_metadata, cache="public, max-age=300")


@bp.get("/jwks.json")
def jwks() -> HTTPResponse:
    p = provider()
    keys: list[Any] = []
    for purpose in p.signing_purposes():
        keys.extend(json.loads(p.keys.jwks(purpose))["keys"])
    body = json.dumps({"keys": keys}, separators=(",", ":")).encode()
    return Response(
        body, mimetype="application/jwk-set+json", headers={"Cache-Control": "public, max-age=300"}
    )


# -- the authorization endpoint and its pages ----------------------------------------------------


@bp.route("/authorize", methods=["GET", "POST"])
def authorize() -> HTTPResponse:
    params = request.args if request.method == "GET" else request.form
    return _render(state().flow.start(params, _browser_session()))


@bp.get("/authorize/resume")
def authorize_resume() -> HTTPResponse:
    return _render(state().flow.resume(request.args.get("interaction", ""), _browser_session()))


@bp.route("/login", methods=["GET", "POST"])
def login() -> HTTPResponse:
    interaction_id = request.values.get("interaction", "")
    waiting = state().flow.interaction(interaction_id) if interaction_id else None
    client = provider().clients.find(waiting.client_id) if waiting else None
    hint = request.args.get("login_hint") or (
        waiting.multidict.get("login_hint") if waiting else None
    )
    if request.method == "GET":
        return _page(
            "idp/login.html",
            200,
            interaction=interaction_id if waiting else "",
            client=client,
            department=_department_name(client),
            username=hint or "",
            next=request.args.get("next", ""),
        )
    if not _csrf_ok():
        return _page(
            "idp/login.html",
            400,
            interaction=interaction_id if waiting else "",
            client=client,
            department=_department_name(client),
            error="login.csrf",
            username=request.form.get("username", ""),
        )
    p = provider()
    try:
        person = p.accounts.authenticate(
            request.form.get("username", ""),
            request.form.get("password", ""),
            now=datetime.now(UTC),
        )
    except LoginFailed:
        return _page(
            "idp/login.html",
            401,
            interaction=interaction_id if waiting else "",
            client=client,
            department=_department_name(client),
            error="login.failed",
            username=request.form.get("username", ""),
        )
    from idp.acr import acr_for

    session = p.start_session(
        person.id,
        acr=acr_for(person.loa, ("pwd",)),
        amr=("pwd",),
        address=request.remote_addr,
        user_agent=request.headers.get("User-Agent"),
        previous=_browser_session(),
    )
    if waiting:
        response = _render(state().flow.resume(interaction_id, session, after="login"))
    else:
        response = redirect(_local_next(request.form.get("next")), 303)
    _set_session_cookie(response, session)
    return response


@bp.route("/login/account", methods=["GET", "POST"])
def select_account() -> HTTPResponse:
    interaction_id = request.values.get("interaction", "")
    session = _browser_session()
    waiting = state().flow.interaction(interaction_id)
    if waiting is None or session is None:
        return _render(state().flow.resume(interaction_id, session))
    if request.method == "GET":
        person = provider().accounts.get(session.person_id)
        client = provider().clients.find(waiting.client_id)
        return _page(
            "idp/select_account.html", 200, interaction=interaction_id, person=person, client=client
        )
    if not _csrf_ok():
        return _render(ErrorPage(400, "csrf", "The page expired; please try again."))
    if request.form.get("choice") == "other":
        return redirect(url_for("idp.login", interaction=interaction_id), 303)
    return _render(state().flow.resume(interaction_id, session, after="account"))


@bp.route("/consent", methods=["GET", "POST"])
def consent() -> HTTPResponse:
    interaction_id = request.values.get("interaction", "")
    session = _browser_session()
    waiting = state().flow.interaction(interaction_id)
    if waiting is None or session is None:
        return _render(state().flow.resume(interaction_id, session))
    if request.method == "GET":
        outcome = state().flow.resume(interaction_id, session)
        if isinstance(outcome, ShowConsent):
            return _page(
                "idp/consent.html",
                200,
                interaction=interaction_id,
                client=outcome.client,
                person=outcome.person,
                scopes=outcome.scopes,
                department=_department_name(outcome.client),
            )
        return _render(outcome)
    if not _csrf_ok():
        return _render(ErrorPage(400, "csrf", "The page expired; please try again."))
    approve = request.form.get("decision") == "approve"
    return _render(state().flow.resume(interaction_id, session, after="consent", approve=approve))


# -- protocol endpoints ---------------------------------------------------------------------------


@bp.post("/token")
def token() -> HTTPResponse:
    response: HTTPResponse = state().server.create_token_response()
    return response


@bp.route("/userinfo", methods=["GET", "POST"])
def userinfo() -> HTTPResponse:
    auth = request.headers.get("Authorization", "")
    bearer = auth[7:].strip() if auth[:7].lower() == "bearer " else None
    if bearer is None and request.method == "POST":
        bearer = request.form.get("access_token")  # RFC 6750 §2.2
    result = userinfo_response(state().server, bearer)
    response = Response(
        result.body, status=result.status, content_type=result.content_type, headers=NO_STORE
    )
    if result.www_authenticate:
        response.headers["WWW-Authenticate"] = result.www_authenticate
    return response


@bp.post("/revoke")
def revoke() -> HTTPResponse:
    response: HTTPResponse = state().server.create_endpoint_response("revocation")
    return response


@bp.post("/introspect")
def introspect() -> HTTPResponse:
    response: HTTPResponse = state().server.create_endpoint_response("introspection")
    return response


@bp.post("/par")
def pushed_authorization_request() -> HTTPResponse:
    """RFC 9126 §2: validate the request now, hand back a one-time request_uri."""
    server = state().server
    p = provider()
    oauth_request = server.create_oauth2_request(None)
    try:
        client = server.authenticate_client(oauth_request, ALL_CLIENT_AUTH, "par")
        params = request_params.without_client_auth(request.form)
        if "request_uri" in params:
            raise InvalidRequestError("request_uri is not allowed at the PAR endpoint")
        if "request" in params:
            params = request_params.unpack_request_object(
                params["request"], params, client, server.client_keys, p.issuer
            )
        if params.get("client_id", client.client_id) != client.client_id:
            raise InvalidRequestError("client_id does not match the authenticated client")
        params.setdefault("client_id", client.client_id)
        candidate = ParamsRequest(p.issuer + "/authorize", params)
        grant = server.get_authorization_grant(candidate)
        grant.validate_authorization_request()
        ttl = p.settings.idp.par_seconds
        request_uri = request_params.push(p.ephemeral, client.client_id, params, ttl)
    except OAuth2Error as error:
        error.redirect_uri = None  # RFC 9126 §2.3: errors go back to the caller, as JSON.
        error_response: HTTPResponse = server.handle_error_response(oauth_request, error)
        return error_response
    body = json.dumps({"request_uri": request_uri, "expires_in": ttl})
    return Response(body, status=201, mimetype="application/json", headers=NO_STORE)


@bp.post("/register")
def register_client() -> HTTPResponse:
    try:
        body = registration.register(provider(), _bearer(), request.get_json(silent=True))
    except registration.RegistrationError as error:
        return _registration_error(error)
    return Response(json.dumps(body), status=201, mimetype="application/json", headers=NO_STORE)


@bp.route("/register/<client_id>", methods=["GET", "PUT", "DELETE"])
def manage_client(client_id: str) -> HTTPResponse:
    try:
        if request.method == "GET":
            body = registration.read(provider(), client_id, _bearer())
        elif request.method == "PUT":
            body = registration.update(
                provider(), client_id, _bearer(), request.get_json(silent=True)
            )
        else:
            registration.delete(provider(), client_id, _bearer())
            return Response(status=204, headers=NO_STORE)
    except registration.RegistrationError as error:
        return _registration_error(error)
    return Response(json.dumps(body), status=200, mimetype="application/json", headers=NO_STORE)


# -- helpers -----------------------------------------------------------------------------------


def _render(outcome: Outcome) -> HTTPResponse:
    if isinstance(outcome, RedirectTo):
        response = redirect(outcome.location, 302)
        response.headers.update(NO_STORE)
        return response
    if isinstance(outcome, FormPost):
        return _page(
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
    return _page(
        "error.html",
        outcome.status,
        status=outcome.status,
        detail=f"{outcome.description} ({outcome.error})",
    )


def _page(
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
        waiting = state().flow.interaction(str(interaction))
        if waiting is not None:
            redirect_uri = waiting.multidict.get("redirect_uri")
            client = provider().clients.find(waiting.client_id)
            targets.extend(
                [redirect_uri] if redirect_uri else list(client.redirect_uris if client else ())
            )
    origins = sorted({o for o in (_origin_of(t) for t in targets) if o})
    if origins:
        response.headers[FORM_TARGETS_HEADER] = " ".join(origins)
    return response


def _local_next(target: str | None) -> str:
    """Where to go after a login that no client asked for: a path on this site only."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("pages.home")


def _origin_of(uri: str) -> str | None:
    """``https://host:port`` for web URLs, ``scheme:`` for a native app's private scheme."""
    parts = urlsplit(uri)
    if parts.scheme in ("http", "https") and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return f"{parts.scheme}:" if parts.scheme else None


def _csrf_ok() -> bool:
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        return False
    return True


def current_session() -> BrowserSession | None:
    """The browser's live session at the provider, if any (for pages outside idp)."""
    return _browser_session()


def _browser_session() -> BrowserSession | None:
    cached = g.get("idp_session", False)
    if cached is not False:
        return cached  # type: ignore[no-any-return]
    found = provider().sessions.get(request.cookies.get(SESSION_COOKIE), now=int(time.time()))
    g.idp_session = found
    return found


def _set_session_cookie(response: HTTPResponse, session: BrowserSession) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        session.sid,
        httponly=True,
        samesite="Lax",
        path="/",
        secure=provider().settings.production,
        max_age=provider().settings.idp.session_max_seconds,
    )


def _department_name(client: Any) -> str:
    if client is None:
        return ""
    try:
        return get_department(provider().db, client.department_id).name
    except DepartmentNotFound:
        return client.department_id  # type: ignore[no-any-return]


def _bearer() -> str | None:
    auth = request.headers.get("Authorization", "")
    return auth[7:].strip() or None if auth[:7].lower() == "bearer " else None


def _registration_error(error: registration.RegistrationError) -> HTTPResponse:
    response = Response(
        json.dumps(error.body()), status=error.status, mimetype="application/json", headers=NO_STORE
    )
    if error.status == 401:
        response.headers["WWW-Authenticate"] = f'Bearer error="{error.error}"'
    return response


def _json_bytes(body: bytes, *, cache: str) -> HTTPResponse:
    return Response(body, mimetype="application/json", headers={"Cache-Control": cache})

"""HTTP endpoints of the identity provider: parse, call the protocol layer, render.

Protocol endpoints (``/token``, ``/userinfo``, ``/par``, ...) answer in JSON as their
RFCs say; the pages (``/login``, ``/consent``) are plain HTML forms that password
managers and automated clients understand.
"""

from __future__ import annotations

import time
from typing import Any

from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc6749 import OAuth2Error
from flask import Blueprint
from flask import Flask
from flask import Response
from flask import g
from flask import json
from flask import redirect
from flask import request
from flask import url_for
from werkzeug.wrappers import Response as HTTPResponse

from idp.authn.errors import LoginThrottled
from idp.deps import IdpDeps
from idp.errors import LoginFailed
from idp.oauth import registration
from idp.oauth import request_params
from idp.oauth.authorize import AuthorizationFlow
from idp.oauth.authorize import ErrorPage
from idp.oauth.authorize import ShowConsent
from idp.oauth.discovery import metadata_bytes
from idp.oauth.grants import ALL_CLIENT_AUTH
from idp.oauth.server import OAuthServer
from idp.oauth.server import ParamsRequest
from idp.oauth.upstream import UpstreamClient
from idp.oauth.userinfo import userinfo as userinfo_response
from idp.provider import Provider
from idp.webkit import NO_STORE
from idp.webkit import IdpState
from idp.webkit import Waiting
from idp.webkit import browser_session
from idp.webkit import client_address
from idp.webkit import csrf_ok
from idp.webkit import department_name
from idp.webkit import error_text
from idp.webkit import finish_login
from idp.webkit import page
from idp.webkit import provider
from idp.webkit import render
from idp.webkit import safe_next
from idp.webkit import state
from idp.webkit import tr
from idp.webkit import utcnow
from idp.webkit import waiting

bp = Blueprint(
    "idp",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/idp-static",
)


def init_app(app: Flask, deps: IdpDeps) -> None:
    from idp import logout_web
    from idp import web_account
    from idp import web_federation
    from idp import web_login

    provider = Provider(deps)
    server = OAuthServer(provider)
    registration_open = provider.settings.idp.registration != "closed"
    document = metadata_bytes(provider.issuer, registration_open=registration_open)
    federation = provider.settings.federation
    upstream = (
        UpstreamClient(
            federation,
            provider.issuer + "/login/upstream/callback",
            require_https=provider.settings.production,
        )
        if federation.issuer
        else None
    )
    app.extensions["idp"] = IdpState(
        provider, server, AuthorizationFlow(server), document, document, upstream
    )
    app.register_blueprint(bp)
    app.register_blueprint(web_login.bp)
    app.register_blueprint(web_federation.bp)
    app.register_blueprint(web_account.bp)
    app.register_blueprint(logout_web.bp)


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
    _follow_entity_hint(params.get("entity_hint"))
    return render(state().flow.start(params, browser_session()))


@bp.get("/authorize/resume")
def authorize_resume() -> HTTPResponse:
    return render(state().flow.resume(request.args.get("interaction", ""), browser_session()))


def _follow_entity_hint(hint: str | None) -> None:
    """A client's ``entity_hint`` (a credit code) switches a live session to act for that
    entity when the person may; otherwise the hint is ignored (the choice stays)."""
    session = browser_session()
    if not hint or session is None or len(hint) > 40:
        return
    p = provider()
    entity = p.entities.find(hint)
    if entity is None or entity.id == session.acting_for:
        return
    if p.entities.role_for(session.person_id, entity.id, now=utcnow()) is None:
        return
    g.idp_session = p.sessions.update(session, now=int(time.time()), acting_for=entity.id)


def login_page(wait: Waiting, http_status: int, **context: Any) -> HTTPResponse:
    """The login page, offering the methods that can reach the level the client needs."""
    p = provider()
    level = wait.required_level
    context.setdefault("username", str(wait.params.get("login_hint", "")))
    return page(
        "idp/login.html",
        http_status,
        interaction=wait.id,
        client=wait.client,
        department=department_name(wait.client),
        required_level=level,
        weak_methods=level < 3,
        sms=p.logins.sms_enabled and level < 3,
        certificate=p.certificates.enabled,
        certificate_tls=p.certificates.proxy_enabled,
        upstream=_upstream_name(level),
        register=p.registrations is not None,
        next=safe_next(request.values.get("next")) or "",
        **context,
    )


def _upstream_name(required_level: int) -> str | None:
    """The upstream provider's name for the login button, when federation is on and a
    federated login can reach the level the client needs."""
    fed = provider().settings.federation
    if state().upstream is None or required_level > fed.max_level:
        return None
    return fed.name_en if g.get("locale") == "en" and fed.name_en else fed.name


@bp.route("/login", methods=["GET", "POST"])
def login() -> HTTPResponse:
    wait = waiting()
    if request.method == "GET":
        return login_page(wait, 200)
    typed = request.form.get("username", "")
    if not csrf_ok():
        return login_page(wait, 400, error=tr("login.csrf"), username=typed)
    if wait.required_level >= 3:
        return login_page(wait, 400, error=tr("login.need_strong"), username=typed)
    try:
        result = provider().logins.password(
            typed, request.form.get("password", ""), address=client_address(), now=utcnow()
        )
    except LoginThrottled as exc:
        response = login_page(wait, 429, error=error_text(exc), username=typed)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except LoginFailed:
        return login_page(wait, 401, error=tr("login.failed"), username=typed)
    return finish_login(result, wait.id, next_path=safe_next(request.form.get("next")))


@bp.route("/login/account", methods=["GET", "POST"])
def select_account() -> HTTPResponse:
    interaction_id = request.values.get("interaction", "")
    session = browser_session()
    pending = state().flow.interaction(interaction_id)
    if pending is None or session is None:
        return render(state().flow.resume(interaction_id, session))
    if request.method == "GET":
        person = provider().accounts.get(session.person_id)
        client = provider().clients.find(pending.client_id)
        return page(
            "idp/select_account.html", 200, interaction=interaction_id, person=person, client=client
        )
    if not csrf_ok():
        return render(ErrorPage(400, "csrf", "The page expired; please try again."))
    if request.form.get("choice") == "other":
        return redirect(url_for("idp.login", interaction=interaction_id), 303)
    return render(state().flow.resume(interaction_id, session, after="account"))


@bp.route("/consent", methods=["GET", "POST"])
def consent() -> HTTPResponse:
    interaction_id = request.values.get("interaction", "")
    session = browser_session()
    pending = state().flow.interaction(interaction_id)
    if pending is None or session is None:
        return render(state().flow.resume(interaction_id, session))
    if request.method == "GET":
        outcome = state().flow.resume(interaction_id, session)
        if isinstance(outcome, ShowConsent):
            return page(
                "idp/consent.html",
                200,
                interaction=interaction_id,
                client=outcome.client,
                person=outcome.person,
                scopes=outcome.scopes,
                department=department_name(outcome.client),
            )
        return render(outcome)
    if not csrf_ok():
        return render(ErrorPage(400, "csrf", "The page expired; please try again."))
    approve = request.form.get("decision") == "approve"
    return render(state().flow.resume(interaction_id, session, after="consent", approve=approve))


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

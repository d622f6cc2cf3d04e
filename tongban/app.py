"""The Flask application factory. There is no module-level app: servers call
:func:`create_app` (``tongban.wsgi:create_app`` for granian)."""

from __future__ import annotations

import logging
import time
from datetime import UTC
from datetime import datetime
from urllib.parse import urlsplit

from flask import Flask
from flask import current_app
from flask import g
from flask import request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from config.load import load
from config.settings import Settings
from idp import messages as idp_messages
from idp import web as idp_web
from idp.webkit import browser_session
from licences import messages as licence_messages
from licences import web as licence_web
from licences.licence_types import CHINA_TIME
from licences.web import mask_credential_path
from signing import messages as signing_messages
from signing import web as signing_web
from tongban import health
from tongban import i18n
from tongban import pages
from tongban import userspace
from tongban.api_auth import IdpAPIAuthenticator
from tongban.errors import register_error_handlers
from tongban.i18n import COOKIE
from tongban.i18n import LOCALES
from tongban.i18n import negotiate
from tongban.i18n import translate
from tongban.licence_wiring import IdpHolderAuthenticator
from tongban.licence_wiring import build_licence_service
from tongban.licence_wiring import licence_scope_text
from tongban.logs import configure_logging
from tongban.logs import request_id_var
from tongban.metrics import observe
from tongban.runtime import EXTENSION
from tongban.runtime import Runtime
from tongban.runtime import build_runtime
from tongban.security import add_security_headers
from tongban.security import request_id_from
from tongban.services import build_signing
from tongban.services import current_person

access_log = logging.getLogger("tongban.access")


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> Flask:
    """Build the app from ``settings`` (default: loaded from the environment)."""
    settings = settings or (runtime.settings if runtime else load())
    configure_logging(settings.log)
    app = Flask(
        "tongban",
        static_folder="static",
        template_folder="templates",
        root_path=__file__.rsplit("/", 1)[0],
    )
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.server.max_body_bytes,
        SESSION_COOKIE_NAME="tongban_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SECURE=settings.production,
        SESSION_COOKIE_SAMESITE="Lax",
        PREFERRED_URL_SCHEME=urlsplit(settings.issuer).scheme,
        TRAP_HTTP_EXCEPTIONS=False,
        # Where a login that came from no department system lands: the user space.
        TONGBAN_HOME_ENDPOINT="userspace.overview",
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    if settings.server.proxy_hops:
        hops = settings.server.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    rt = runtime or build_runtime(settings)
    app.extensions[EXTENSION] = rt

    app.jinja_env.filters["local"] = local_time
    _install_request_hooks(app, settings)
    register_error_handlers(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(pages.bp)
    i18n.register(idp_messages.MESSAGES)
    i18n.register(signing_messages.MESSAGES)
    idp_web.init_app(app, rt)
    i18n.register(licence_messages.MESSAGES)
    provider = app.extensions["idp"].provider
    signing = build_signing(rt)
    signing_web.init_app(app, signing, IdpAPIAuthenticator(provider), current_person())
    licences = build_licence_service(rt, signing)
    licence_web.init_app(
        app,
        licence_web.LicenceWebDeps(
            service=licences,
            api_auth=IdpAPIAuthenticator(provider),
            holder_auth=IdpHolderAuthenticator(provider),
        ),
    )
    userspace.init_app(app, userspace.DomainQueries(signing=signing, licences=licences))
    app.extensions[SCOPE_TEXTS] = [licence_scope_text(licences)]
    return app


SCOPE_TEXTS = "scope_texts"


def local_time(moment: datetime, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored time (UTC; naive means UTC) as people here read it: China Standard Time,
    the one zone of the country, as the licence pages show it."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(CHINA_TIME).strftime(fmt)


def scope_text(scope: str, locale: str) -> str:
    """What a scope lets a department see, for consent and the user space: the message
    ``scope.<scope>``, else what a domain says of it (``licence:<type>``), else the scope."""
    key = "scope." + scope
    text = translate(key, locale)
    if text != key:
        return text
    for describe in current_app.extensions.get(SCOPE_TEXTS, ()):
        described: str | None = describe(scope, locale)
        if described:
            return described
    return scope


def _signed_in_name() -> str | None:
    """The logged-in person's name for the page header (one ephemeral read, per page)."""
    if request.path.startswith(("/static/", "/idp-static/")):
        return None
    session = browser_session()
    if session is None:
        return None
    person = current_app.extensions["idp"].provider.accounts.recent(session.person_id)
    name: str = person.name
    return name


def _install_request_hooks(app: Flask, settings: Settings) -> None:
    @app.before_request
    def start() -> None:
        g.started = time.perf_counter()
        g.request_id = request_id_from(request.headers.get("X-Request-ID"))
        g.request_id_token = request_id_var.set(g.request_id)
        g.locale = negotiate(
            request.args.get("lang"),
            request.cookies.get(COOKIE),
            [tag for tag, _ in request.accept_languages],
        )

    @app.after_request
    def finish(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id", "")
        chosen = request.args.get("lang")
        if chosen in LOCALES and request.cookies.get(COOKIE) != chosen:
            response.set_cookie(
                COOKIE,
                chosen,
                max_age=365 * 86400,
                samesite="Lax",
                secure=settings.production,
                httponly=True,
            )
        add_security_headers(response, production=settings.production)
        started = g.get("started")
        if started is not None:
            elapsed = time.perf_counter() - started
            endpoint = request.url_rule.rule if request.url_rule else "(unmatched)"
            observe(request.method, endpoint, response.status_code, elapsed)
            if settings.log.access:
                # The path only: query strings carry codes, tokens and personal data; a
                # licence QR's digits in /v/ paths are a credential and are masked too.
                path = mask_credential_path(request.path)
                access_log.info(
                    "%s %s %s",
                    request.method,
                    path,
                    response.status_code,
                    extra={
                        "method": request.method,
                        "path": path,
                        "status": response.status_code,
                        "duration_ms": round(elapsed * 1000, 2),
                        "remote": request.remote_addr,
                    },
                )
        return response

    @app.teardown_request
    def forget_request_id(_exc: BaseException | None) -> None:
        token = g.pop("request_id_token", None)
        if token is not None:
            request_id_var.reset(token)

    @app.context_processor
    def template_helpers() -> dict[str, object]:
        locale = g.get("locale", "zh-CN")
        return {
            "_": lambda key, **values: translate(key, locale, **values),
            "locale": locale,
            "other_locale": "en" if locale == "zh-CN" else "zh-CN",
            "request_id": g.get("request_id"),
            "signed_in_name": _signed_in_name(),
            "scope_text": lambda scope: scope_text(scope, locale),
        }

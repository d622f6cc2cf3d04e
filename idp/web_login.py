"""Login methods beside the password form: SMS code, the TOTP second factor, passkeys,
enterprise certificates, and the choice of whom the person acts for."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from flask import Blueprint
from flask import Response
from flask import json
from flask import redirect
from flask import request
from flask import session as flask_session
from flask import url_for
from werkzeug.wrappers import Response as HTTPResponse

from config.errors import TongbanError
from idp.accounts import Person
from idp.authn.errors import AuthnError
from idp.authn.errors import RateLimited
from idp.errors import CertificateRejected
from idp.errors import LoginFailed
from idp.errors import PersonNotFound
from idp.identity.errors import IdentityError
from idp.identity.masking import mask_phone
from idp.identity.phones import parse_mobile
from idp.login import LoginResult
from idp.passkeys import PasskeyFailed
from idp.web import login_page
from idp.webkit import NO_STORE
from idp.webkit import browser_session
from idp.webkit import client_address
from idp.webkit import continue_after_login
from idp.webkit import csrf_ok
from idp.webkit import error_text
from idp.webkit import finish_login
from idp.webkit import forget_pending_login
from idp.webkit import page
from idp.webkit import peer_address
from idp.webkit import provider
from idp.webkit import safe_next
from idp.webkit import take_pending_login
from idp.webkit import tr
from idp.webkit import utcnow
from idp.webkit import waiting

bp = Blueprint("authn", __name__, template_folder="templates")


# -- SMS code login ------------------------------------------------------------------------------


@bp.route("/login/sms", methods=["GET", "POST"])
def sms() -> HTTPResponse:
    wait = waiting()
    p = provider()
    if not p.logins.sms_enabled or wait.required_level >= 3:
        return redirect(url_for("idp.login", interaction=wait.id or None), 303)
    phone = flask_session.get("tb_sms_phone") if request.method == "POST" else None
    if request.method == "GET":
        flask_session.pop("tb_sms_phone", None)
        return _sms_page(wait.id, 200)
    if not csrf_ok():
        return _sms_page(wait.id, 400, error=tr("login.csrf"))
    action = request.form.get("action")
    if action == "send":
        typed = request.form.get("phone", "")
        try:
            number = parse_mobile(typed)
            sent = p.logins.send_sms_code(number, address=client_address(), now=utcnow())
        except (IdentityError, AuthnError) as exc:
            return _sms_page(wait.id, _status(exc), error=error_text(exc), phone=typed)
        flask_session["tb_sms_phone"] = number
        return _sms_page(
            wait.id,
            200,
            phone=number,
            code_sent=True,
            notice=tr("sms.sent", phone=mask_phone(number), minutes=_minutes(sent.expires_at)),
        )
    if not isinstance(phone, str):
        return _sms_page(wait.id, 400, error=tr("sms.start_again"))
    try:
        result = p.logins.sms(
            phone, request.form.get("code", ""), address=client_address(), now=utcnow()
        )
    except (AuthnError, LoginFailed) as exc:
        return _sms_page(wait.id, _status(exc), phone=phone, code_sent=True, error=error_text(exc))
    flask_session.pop("tb_sms_phone", None)
    return finish_login(result, wait.id, next_path=safe_next(request.form.get("next")))


def _sms_page(interaction: str, status: int, **context: Any) -> HTTPResponse:
    phone = context.pop("phone", "")
    return page(
        "idp/login_sms.html",
        status,
        interaction=interaction,
        phone=phone,
        masked_phone=mask_phone(str(phone)) if phone else "",
        next=safe_next(request.values.get("next")) or "",
        **context,
    )


# -- the TOTP second factor ----------------------------------------------------------------------


@bp.route("/login/totp", methods=["GET", "POST"])
def totp() -> HTTPResponse:
    pending = take_pending_login()
    if pending is None:
        return redirect(url_for("idp.login"), 303)
    interaction = pending.get("interaction") or ""
    if request.method == "GET":
        return page("idp/login_totp.html", 200, interaction=interaction)
    if not csrf_ok():
        return page("idp/login_totp.html", 400, interaction=interaction, error=tr("login.csrf"))
    p = provider()
    try:
        person = p.accounts.get(pending["person"])
        first = LoginResult(person, tuple(pending["amr"]), pending["login"], totp_due=True)
        result = p.logins.second_factor(
            first, request.form.get("code", ""), address=client_address(), now=utcnow()
        )
    except PersonNotFound:
        forget_pending_login()
        return redirect(url_for("idp.login"), 303)
    except AuthnError as exc:
        return page(
            "idp/login_totp.html",
            _status(exc),
            interaction=interaction,
            error=error_text(exc),
        )
    forget_pending_login()
    return finish_login(result, interaction, next_path=pending.get("next"))


# -- passkeys ------------------------------------------------------------------------------------


@bp.post("/login/passkey/options")
def passkey_options() -> HTTPResponse:
    if not csrf_ok():
        return _json({"error": "csrf"}, 400)
    ceremony, options = provider().passkeys.authentication_options()
    return _json({"ceremony": ceremony, "options": json.loads(options)}, 200)


@bp.post("/login/passkey")
def passkey() -> HTTPResponse:
    wait = waiting()
    if not csrf_ok():
        return login_page(wait, 400, error=tr("login.csrf"))
    p = provider()
    try:
        verified = p.passkeys.authenticate(
            request.form.get("ceremony", ""), request.form.get("credential", ""), now=utcnow()
        )
        person = p.accounts.get(verified.person_id)
    except (PasskeyFailed, PersonNotFound) as exc:
        message = error_text(exc) if isinstance(exc, PasskeyFailed) else tr("login.failed")
        return login_page(wait, 401, error=message)
    if not person.active:
        return login_page(wait, 401, error=tr("login.failed"))
    result = LoginResult(person, verified.amr, person.username)
    return finish_login(result, wait.id, next_path=safe_next(request.form.get("next")))


# -- enterprise certificates ---------------------------------------------------------------------


@bp.route("/login/certificate", methods=["GET", "POST"])
def certificate() -> HTTPResponse:
    wait = waiting()
    certificates = provider().certificates
    if not certificates.enabled:
        return redirect(url_for("idp.login", interaction=wait.id or None), 303)
    if request.method == "POST":
        if not csrf_ok():
            return _certificate_page(wait.id, 400, error=tr("login.csrf"))
        try:
            verified = certificates.verify_signed_challenge(
                request.form.get("signed", ""), now=utcnow()
            )
        except CertificateRejected as exc:
            return _certificate_page(wait.id, 401, error=error_text(exc))
        return _certificate_login(
            verified.entity.id, verified.entity.legal_representative_id, wait.id
        )
    return _certificate_page(wait.id, 200)


@bp.post("/login/certificate/tls")
def certificate_tls() -> HTTPResponse:
    wait = waiting()
    certificates = provider().certificates
    if not csrf_ok():
        return _certificate_page(wait.id, 400, error=tr("login.csrf"))
    header = certificates.header_name()
    try:
        verified = certificates.verify_forwarded(
            request.headers.get(header) if header else None, peer_address(), now=utcnow()
        )
    except CertificateRejected as exc:
        return _certificate_page(wait.id, 401, error=error_text(exc))
    return _certificate_login(verified.entity.id, verified.entity.legal_representative_id, wait.id)


def _certificate_page(interaction: str, status: int, **context: Any) -> HTTPResponse:
    p = provider()
    challenge = p.certificates.challenge(now=utcnow())
    return page(
        "idp/login_certificate.html",
        status,
        interaction=interaction,
        challenge=challenge.value,
        audience=p.issuer,
        tls=p.certificates.proxy_enabled,
        **context,
    )


def _certificate_login(entity_id: str, representative_id: str, interaction: str) -> HTTPResponse:
    """The person of a certificate login: whoever is logged in here already, if they act
    for the entity; otherwise the entity's legal representative."""
    p = provider()
    current = browser_session()
    person: Person | None = None
    if current is not None and p.entities.role_for(current.person_id, entity_id, now=utcnow()):
        person = p.accounts.get(current.person_id)
    else:
        try:
            person = p.accounts.get(representative_id)
        except PersonNotFound:
            person = None
    if person is None or not person.active:
        return _certificate_page(interaction, 401, error=tr("login.failed"))
    result = LoginResult(person, ("x509",), person.username)
    return finish_login(result, interaction, acting_for=entity_id)


# -- whom the person acts for --------------------------------------------------------------------


@bp.route("/login/entity", methods=["GET", "POST"])
def entity() -> HTTPResponse:
    wait = waiting()
    session = browser_session()
    next_path = safe_next(request.values.get("next"))
    if session is None:
        return redirect(url_for("idp.login", interaction=wait.id or None), 303)
    p = provider()
    roles = p.entities.roles_of(session.person_id, now=utcnow())
    if request.method == "GET":
        return page(
            "idp/login_entity.html",
            200,
            interaction=wait.id,
            roles=roles,
            current=session.acting_for,
            person=p.accounts.get(session.person_id),
            next=next_path or "",
        )
    if not csrf_ok():
        return redirect(url_for("authn.entity", interaction=wait.id or None), 303)
    choice = request.form.get("choice", "self")
    chosen = next((r for r in roles if r.entity.id == choice), None)
    session = p.sessions.update(
        session, now=int(time.time()), acting_for=chosen.entity.id if chosen else None
    )
    return continue_after_login(session, wait.id, next_path=next_path)


# -- helpers -------------------------------------------------------------------------------------


def _status(exc: TongbanError) -> int:
    if isinstance(exc, RateLimited):
        return 429
    return exc.http_status if 400 <= exc.http_status < 600 else 400


def _minutes(expires_at: datetime) -> int:
    return max(1, round((expires_at - utcnow()).total_seconds() / 60))


def _json(body: object, status: int) -> HTTPResponse:
    return Response(json.dumps(body), status=status, mimetype="application/json", headers=NO_STORE)

"""The person's own pages: registration, the account overview, real-name verification,
the TOTP second factor, passkeys, entities and their agents; and the development-only
SMS outbox. Numbers are shown masked everywhere."""

from __future__ import annotations

import base64
import io
import json
from datetime import UTC
from datetime import datetime
from datetime import time as day_time
from datetime import timedelta
from typing import Any
from typing import Final

import qrcode
import qrcode.image.svg
from flask import Blueprint
from flask import Response
from flask import abort
from flask import g
from flask import redirect
from flask import request
from flask import session as flask_session
from flask import url_for
from werkzeug.wrappers import Response as HTTPResponse

from config.errors import TongbanError
from idp.accounts import Person
from idp.authn.errors import RateLimited
from idp.authn.sms import DevOutboxSMSGateway
from idp.authn.totp import new_totp_secret
from idp.authn.totp import provisioning_uri
from idp.errors import InvalidInput
from idp.errors import PersonNotFound
from idp.identity.documents import DocumentType
from idp.identity.masking import mask_phone
from idp.login import LoginResult
from idp.realname import parse_id_document
from idp.sessions import BrowserSession
from idp.webkit import NO_STORE
from idp.webkit import after_login
from idp.webkit import browser_session
from idp.webkit import client_address
from idp.webkit import continue_after_login
from idp.webkit import csrf_ok
from idp.webkit import error_text
from idp.webkit import finish_login
from idp.webkit import page
from idp.webkit import provider
from idp.webkit import refresh_acr
from idp.webkit import tr
from idp.webkit import utcnow
from idp.webkit import waiting

bp = Blueprint("account", __name__, template_folder="templates")
TOTP_ENROL_KEY: Final = "totp-enrol:"
DOCUMENT_TYPES: Final = tuple(t.value for t in DocumentType)


def _status(exc: TongbanError) -> int:
    return 429 if isinstance(exc, RateLimited) else exc.http_status


def _logged_in() -> tuple[BrowserSession, Person] | None:
    session = browser_session()
    if session is None:
        return None
    try:
        person = provider().accounts.get(session.person_id)
    except PersonNotFound:
        return None
    return (session, person) if person.active else None


def _to_login() -> HTTPResponse:
    return redirect(url_for("idp.login", next=request.path), 303)


# -- registration --------------------------------------------------------------------------------


@bp.route("/signup", methods=["GET", "POST"])
def register() -> HTTPResponse:
    registrations = provider().registrations
    if registrations is None:
        abort(404)
    wait = waiting()
    context: dict[str, Any] = {"interaction": wait.id}
    current = flask_session.get("tb_registration")
    if request.method == "GET":
        if request.args.get("restart"):
            flask_session.pop("tb_registration", None)
            current = None
        return _register_page(current, 200, **context)
    if not csrf_ok():
        return _register_page(current, 400, error=tr("login.csrf"), **context)
    action = request.form.get("action")
    try:
        if action == "send":
            registration, _sent = registrations.start(
                request.form.get("phone", ""), address=client_address(), now=utcnow()
            )
            flask_session["tb_registration"] = registration.id
            return _register_page(
                registration.id,
                200,
                notice=tr("sms.sent", phone=registration.masked_phone, minutes=5),
                **context,
            )
        if action == "resend":
            registrations.resend(str(current or ""), address=client_address(), now=utcnow())
            return _register_page(current, 200, notice=tr("register.resent"), **context)
        registrations.confirm_phone(str(current or ""), request.form.get("code", ""))
    except TongbanError as exc:
        return _register_page(
            current if action != "send" else None,
            _status(exc),
            error=error_text(exc),
            phone=request.form.get("phone", ""),
            **context,
        )
    return redirect(url_for("account.register_account", interaction=wait.id or None), 303)


def _register_page(registration_id: object, status: int, **context: Any) -> HTTPResponse:
    registrations = provider().registrations
    registration = None
    if registrations is not None and isinstance(registration_id, str):
        try:
            registration = registrations.get(registration_id)
        except TongbanError:
            registration = None
    return page("idp/register.html", status, registration=registration, **context)


@bp.route("/signup/account", methods=["GET", "POST"])
def register_account() -> HTTPResponse:
    registrations = provider().registrations
    if registrations is None:
        abort(404)
    wait = waiting()
    current = flask_session.get("tb_registration")
    try:
        registration = registrations.get(current if isinstance(current, str) else None)
    except TongbanError:
        return redirect(url_for("account.register", interaction=wait.id or None), 303)
    if not registration.phone_verified:
        return redirect(url_for("account.register", interaction=wait.id or None), 303)
    form = {k: request.form.get(k, "") for k in ("username", "name", "id_type", "id_number")}
    context: dict[str, Any] = {
        "interaction": wait.id,
        "masked_phone": registration.masked_phone,
        "document_types": DOCUMENT_TYPES,
        "form": form,
    }
    if request.method == "GET":
        return page("idp/register_account.html", 200, **context)
    if not csrf_ok():
        return page("idp/register_account.html", 400, error=tr("login.csrf"), **context)
    try:
        person = registrations.create_account(
            registration.id,
            username=form["username"],
            name=form["name"],
            password=request.form.get("password", ""),
            id_type=form["id_type"] or None,
            id_number=form["id_number"] or None,
            now=utcnow(),
            request_id=g.get("request_id"),
        )
    except TongbanError as exc:
        return page("idp/register_account.html", _status(exc), error=error_text(exc), **context)
    flask_session.pop("tb_registration", None)
    # The phone was proven by SMS just now: that is this first login's method.
    return finish_login(LoginResult(person, ("sms",), person.username), wait.id)


# -- the account ---------------------------------------------------------------------------------


@bp.get("/account")
def overview() -> HTTPResponse:
    found = _logged_in()
    if found is None:
        return _to_login()
    session, person = found
    p = provider()
    phone, id_number = p.accounts.masked_numbers(person.id)
    roles = p.entities.roles_of(person.id, now=utcnow())
    acting = next((r for r in roles if r.entity.id == session.acting_for), None)
    return page(
        "idp/account.html",
        200,
        person=person,
        session=session,
        phone=phone,
        id_number=id_number,
        passkeys=p.passkeys.of_person(person.id),
        roles=roles,
        acting=acting,
        notice=tr(request.args["done"])
        if request.args.get("done", "").startswith("done.")
        else None,
    )


@bp.route("/account/realname", methods=["GET", "POST"])
def realname() -> HTTPResponse:
    found = _logged_in()
    wait = waiting()
    if found is None:
        return redirect(url_for("idp.login", interaction=wait.id or None, next=request.path), 303)
    session, person = found
    form = {k: request.form.get(k, "") for k in ("name", "id_type", "id_number")}
    if not form["name"]:
        form["name"] = person.name
    context: dict[str, Any] = {
        "interaction": wait.id,
        "person": person,
        "document_types": DOCUMENT_TYPES,
        "form": form,
        "required_level": wait.required_level,
    }
    if request.method == "GET":
        return page("idp/realname.html", 200, **context)
    if not csrf_ok():
        return page("idp/realname.html", 400, error=tr("login.csrf"), **context)
    if request.form.get("action") == "skip":
        return continue_after_login(session, wait.id)
    p = provider()
    try:
        document = parse_id_document(form["id_type"], form["id_number"], today=utcnow().date())
        updated = p.realnames.verify_account(
            person.id,
            form["name"],
            document,
            now=utcnow(),
            actor=f"person:{person.id}",
            request_id=g.get("request_id"),
        )
    except TongbanError as exc:
        return page("idp/realname.html", _status(exc), error=error_text(exc), **context)
    session = refresh_acr(session, updated.loa)
    if wait.id:
        return after_login(session, wait.id, entity_chosen=session.acting_for is not None)
    return redirect(url_for("account.overview", done="done.realname"), 303)


# -- the TOTP second factor ----------------------------------------------------------------------


@bp.route("/account/totp", methods=["GET", "POST"])
def totp() -> HTTPResponse:
    found = _logged_in()
    if found is None:
        return _to_login()
    _session, person = found
    p = provider()
    key = TOTP_ENROL_KEY + person.id
    if request.method == "GET" or not csrf_ok():
        return _totp_page(person, key, 200 if request.method == "GET" else 400)
    code = request.form.get("code", "")
    action = request.form.get("action")
    try:
        if action == "remove":
            secret = p.accounts.totp_secret(person.id)
            if secret is None:
                return redirect(url_for("account.overview"), 303)
            p.totp.verify(secret, code, account=person.id, now=utcnow())
            p.accounts.set_totp_secret(person.id, None, now=utcnow(), actor=f"person:{person.id}")
            return redirect(url_for("account.overview", done="done.totp_removed"), 303)
        raw = p.ephemeral.get(key)
        if raw is None:
            return _totp_page(person, key, 400, error=tr("totp.expired"))
        pending = raw.decode()
        p.totp.verify(pending, code, account=person.id, now=utcnow())
    except TongbanError as exc:
        return _totp_page(person, key, _status(exc), error=error_text(exc))
    p.accounts.set_totp_secret(person.id, pending, now=utcnow(), actor=f"person:{person.id}")
    p.ephemeral.delete(key)
    return redirect(url_for("account.overview", done="done.totp"), 303)


def _totp_page(person: Person, key: str, status: int, **context: Any) -> HTTPResponse:
    if person.totp_enrolled:
        return page("idp/totp.html", status, person=person, enrolled=True, **context)
    p = provider()
    raw = p.ephemeral.get(key)
    secret = raw.decode() if raw else new_totp_secret()
    p.ephemeral.put(key, secret.encode(), 600)
    uri = provisioning_uri(secret, account_name=person.username)
    return page(
        "idp/totp.html",
        status,
        person=person,
        enrolled=False,
        secret=secret,
        qr=_qr_data_uri(uri),
        **context,
    )


def _qr_data_uri(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


# -- passkeys ------------------------------------------------------------------------------------


@bp.post("/account/passkeys/options")
def passkey_options() -> HTTPResponse:
    found = _logged_in()
    if found is None or not csrf_ok():
        return _json({"error": "login_required"}, 401)
    ceremony, options = provider().passkeys.registration_options(found[1])
    return _json({"ceremony": ceremony, "options": json.loads(options)}, 200)


@bp.post("/account/passkeys")
def passkey_add() -> HTTPResponse:
    found = _logged_in()
    if found is None:
        return _to_login()
    if not csrf_ok():
        return redirect(url_for("account.overview"), 303)
    person = found[1]
    try:
        provider().passkeys.register(
            request.form.get("ceremony", ""),
            person.id,
            request.form.get("credential", ""),
            request.form.get("name", ""),
            now=utcnow(),
            actor=f"person:{person.id}",
        )
    except TongbanError as exc:
        return _overview_error(exc)
    return redirect(url_for("account.overview", done="done.passkey"), 303)


@bp.post("/account/passkeys/remove")
def passkey_remove() -> HTTPResponse:
    found = _logged_in()
    if found is None:
        return _to_login()
    if csrf_ok():
        person = found[1]
        provider().passkeys.remove(
            person.id,
            request.form.get("credential_id", ""),
            now=utcnow(),
            actor=f"person:{person.id}",
        )
    return redirect(url_for("account.overview"), 303)


def _overview_error(exc: TongbanError) -> HTTPResponse:
    return page("error.html", _status(exc), status=_status(exc), detail=error_text(exc))


# -- entities and agents -------------------------------------------------------------------------


@bp.route("/account/entities", methods=["GET", "POST"])
def entities() -> HTTPResponse:
    found = _logged_in()
    if found is None:
        return _to_login()
    _session, person = found
    p = provider()
    form = {k: request.form.get(k, "") for k in ("uscc", "name")}
    context = {"person": person, "form": form}
    if request.method == "GET":
        return _entities_page(200, **context)
    if not csrf_ok():
        return _entities_page(400, error=tr("login.csrf"), **context)
    try:
        entity = p.entities.register(
            form["uscc"],
            form["name"],
            person.id,
            now=utcnow(),
            actor=f"person:{person.id}",
            request_id=g.get("request_id"),
        )
    except TongbanError as exc:
        return _entities_page(_status(exc), error=error_text(exc), **context)
    return redirect(url_for("account.entity", uscc=entity.credit_code), 303)


def _entities_page(status: int, **context: Any) -> HTTPResponse:
    person: Person = context["person"]
    roles = provider().entities.roles_of(person.id, now=utcnow())
    return page("idp/entities.html", status, roles=roles, **context)


@bp.route("/account/entities/<uscc>", methods=["GET", "POST"])
def entity(uscc: str) -> HTTPResponse:
    found = _logged_in()
    if found is None:
        return _to_login()
    _session, person = found
    p = provider()
    record = p.entities.find(uscc)
    if record is None or record.legal_representative_id != person.id:
        abort(404)
    error = None
    status = 200
    if request.method == "POST":
        if not csrf_ok():
            error, status = tr("login.csrf"), 400
        else:
            try:
                _change_agents(record.credit_code, person)
                return redirect(url_for("account.entity", uscc=record.credit_code), 303)
            except TongbanError as exc:
                error, status = error_text(exc), _status(exc)
    agents = []
    for agent in p.entities.agents(record.credit_code):
        try:
            who = p.accounts.get(agent.person_id)
        except PersonNotFound:
            continue
        agents.append((agent, who, agent.active_at(utcnow())))
    return page(
        "idp/entity.html",
        status,
        entity=record,
        agents=agents,
        error=error,
        default_expiry=(utcnow() + timedelta(days=365)).date().isoformat(),
    )


def _change_agents(credit_code: str, person: Person) -> None:
    p = provider()
    actor = f"person:{person.id}"
    if request.form.get("action") == "revoke":
        p.entities.revoke_agent(
            credit_code,
            request.form.get("agent", ""),
            now=utcnow(),
            actor=actor,
            by_person_id=person.id,
            request_id=g.get("request_id"),
        )
        return
    agent = p.accounts.by_username(request.form.get("username", ""))
    scopes = tuple(request.form.get("scopes", "").replace(",", " ").split())
    p.entities.appoint_agent(
        credit_code,
        agent.id,
        scopes,
        _end_of_day(request.form.get("expires", "")),
        now=utcnow(),
        actor=actor,
        by_person_id=person.id,
        request_id=g.get("request_id"),
    )


def _end_of_day(text: str) -> datetime:
    try:
        day = datetime.strptime(text.strip(), "%Y-%m-%d").date()
    except ValueError:
        raise InvalidInput("expires: a date, YYYY-MM-DD") from None
    return datetime.combine(day, day_time(23, 59, 59), tzinfo=UTC)


# -- the development SMS outbox ------------------------------------------------------------------


@bp.get("/dev/sms")
def dev_sms() -> HTTPResponse:
    p = provider()
    gateway = p.sms_gateway
    if p.settings.production or not isinstance(gateway, DevOutboxSMSGateway):
        abort(404)
    messages = [
        {"phone": mask_phone(m.phone), "text": m.text, "at": m.sent_at, "id": m.message_id}
        for m in gateway.messages(50)
    ]
    return page("idp/dev_sms.html", 200, messages=messages)


def _json(body: object, status: int) -> HTTPResponse:
    return Response(json.dumps(body), status=status, mimetype="application/json", headers=NO_STORE)

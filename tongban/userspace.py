"""The user space (用户专属空间): an applicant's own pages.

It lives in the composition root because it joins several domains: the account,
sessions and consents of the identity provider, and the approvals and licences of the
signing and licence services through their query functions
(:meth:`signing.service.SigningService.approvals_for_person`,
:func:`licences.holders.licences_for_holder` and :func:`licences.holders.pdf_for_holder`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from functools import wraps
from typing import Any
from typing import TypeVar

from flask import Blueprint
from flask import Flask
from flask import current_app
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_wtf.csrf import generate_csrf
from flask_wtf.csrf import validate_csrf
from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response
from wtforms import ValidationError

from idp.acr import level_of
from idp.departments import list_departments
from idp.provider import Provider
from idp.webkit import browser_session
from licences.holders import licences_for_holder
from licences.holders import pdf_for_holder
from licences.holders import qr_svg_for_holder
from licences.service import LicenceService
from licences.service_errors import LicenceNotFound
from signing.service import SigningService
from tongban.licence_wiring import holder_for
from tongban.licence_wiring import holder_of

bp = Blueprint("userspace", __name__, url_prefix="/me")
F = TypeVar("F", bound=Callable[..., Any])
EXTENSION = "userspace"


@dataclass(frozen=True)
class DomainQueries:
    """The other domains' services whose query functions the user space calls."""

    signing: SigningService
    licences: LicenceService


def init_app(app: Flask, queries: DomainQueries) -> None:
    app.extensions[EXTENSION] = queries
    app.register_blueprint(bp)


def queries() -> DomainQueries:
    found: DomainQueries = current_app.extensions[EXTENSION]
    return found


def provider() -> Provider:
    found: Provider = current_app.extensions["idp"].provider
    return found


def signed_in(view: F) -> F:
    """Pages for the logged-in person only; others are sent to log in and come back."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        session = browser_session()
        if session is None:
            return redirect(url_for("idp.login", next=request.full_path.rstrip("?")))
        g.me_session = session
        g.me = provider().accounts.get(session.person_id)
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def checked_form() -> None:
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        raise BadRequest("the form expired; please try again") from None


def page(template: str, **context: Any) -> str:
    context.setdefault("csrf_token", generate_csrf())
    return render_template(
        template, me=g.me, session=g.me_session, level=level_of(g.me_session.acr), **context
    )


@bp.get("/")
@signed_in
def overview() -> str:
    p = provider()
    now = datetime.now(UTC)
    roles = p.entities.roles_of(g.me.id, now=now)
    acting = next((r.entity for r in roles if r.entity.id == g.me_session.acting_for), None)
    phone, id_number = p.accounts.masked_numbers(g.me.id)
    return page(
        "me/overview.html",
        tab="overview",
        acting=acting,
        phone=phone,
        id_number=id_number,
        entity_count=len(roles),
        strong_factor=g.me.totp_enrolled or bool(p.passkeys.of_person(g.me.id)),
        live_sessions=len(p.session_log.open_sessions(g.me.id)),
        connection_count=len(p.consents.for_person(g.me.id)),
        approval_count=len(queries().signing.approvals_for_person(g.me.id)),
        licence_count=len(licences_for_holder(queries().licences, holder_of(g.me.id, roles))),
    )


@bp.get("/sessions")
@signed_in
def sessions() -> str:
    history = provider().session_log.history(g.me.id, limit=50)
    names = _client_names()
    return page("me/sessions.html", tab="sessions", history=history, names=names)


@bp.post("/sessions/end")
@signed_in
def end_session() -> Response:
    checked_form()
    p = provider()
    which = request.form.get("session", "")
    if which == "all":
        p.logouts.end_all(g.me.id, reason="user", actor=f"person:{g.me.id}")
        return redirect(url_for("pages.home"), 303)
    if which not in p.session_log.open_sessions(g.me.id):
        raise BadRequest("no such live session of yours")
    target = p.sessions.by_public_id(which, now=int(datetime.now(UTC).timestamp()))
    if target is not None:
        p.logouts.end(target, reason="user", actor=f"person:{g.me.id}")
    else:
        with p.db.transaction() as tx:
            p.session_log.close(tx, which, reason="expired", now=datetime.now(UTC))
    if which == g.me_session.public_id:
        return redirect(url_for("pages.home"), 303)
    return redirect(url_for("userspace.sessions"), 303)


@bp.get("/connections")
@signed_in
def connections() -> str:
    p = provider()
    departments = {d.id: d.name for d in list_departments(p.db)}
    items = []
    for consent in p.consents.for_person(g.me.id):
        client = p.clients.find(consent.client_id)
        if client is None:
            continue
        items.append(
            {
                "client": client,
                "department": departments.get(client.department_id, ""),
                "scopes": sorted(consent.scopes),
                "granted_at": consent.granted_at,
            }
        )
    return page("me/connections.html", tab="connections", items=items)


@bp.post("/connections/revoke")
@signed_in
def revoke_connection() -> Response:
    checked_form()
    client_id = request.form.get("client_id", "")
    provider().consents.withdraw(
        g.me.id, client_id, now=datetime.now(UTC), actor=f"person:{g.me.id}"
    )
    return redirect(url_for("userspace.connections"), 303)


@bp.get("/approvals")
@signed_in
def approvals() -> str:
    items = queries().signing.approvals_for_person(g.me.id)
    return page("me/approvals.html", tab="approvals", items=items)


@bp.get("/licences")
@signed_in
def licences() -> str:
    service = queries().licences
    holder = holder_for(provider(), g.me.id, now=datetime.now(UTC))
    locale = g.get("locale", "zh-CN")
    type_names = {t.id: t.name(locale) for t in service.list_types()}
    items = licences_for_holder(service, holder)
    return page(
        "me/licences.html",
        tab="licences",
        items=items,
        type_names=type_names,
        now=datetime.now(UTC),
        base_url=service.base_url,
    )


@bp.get("/licences/<licence_id>.pdf")
@signed_in
def licence_pdf(licence_id: str) -> Response:
    holder = holder_for(provider(), g.me.id, now=datetime.now(UTC))
    try:
        pdf = pdf_for_holder(queries().licences, holder, licence_id)
    except LicenceNotFound:
        raise NotFound("no such licence among yours") from None
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{licence_id}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/licences/<licence_id>/qr.svg")
@signed_in
def licence_qr(licence_id: str) -> Response:
    holder = holder_for(provider(), g.me.id, now=datetime.now(UTC))
    try:
        svg = qr_svg_for_holder(queries().licences, holder, licence_id)
    except LicenceNotFound:
        raise NotFound("no such licence among yours") from None
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


def _client_names() -> dict[str, str]:
    return {c.client_id: c.name for c in provider().clients.list()}

"""HTTP: the verify page, the published trust and status lists, and the department API.

* ``/v/01<digits>`` — what a phone camera opens: valid / expired / suspended / revoked /
  forged, with fields and issuer only for a genuine code. ``/v`` takes a photo or
  screenshot of a code instead. The digits are a credential: the app's access log masks
  them, and every page sends ``Referrer-Policy: no-referrer``.
* ``/s/<n>``, ``/licences/trust-list.jwt``, ``/licences/roots.json`` — the signed files an
  offline verifier syncs, with ``ETag`` and ``Cache-Control``.
* ``/api/licences/...`` — department systems (OAuth client credentials, scope
  ``api:licences`` or ``api:licences:<type>``), described by ``/api/licences/openapi.json``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Any
from typing import Final

from flask import Blueprint
from flask import Flask
from flask import current_app
from flask import g
from flask import render_template
from flask import request
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from licences import openapi
from licences.holders import HolderAuthenticator
from licences.holders import shared_licences
from licences.licence_types import CHINA_TIME
from licences.scan import read_qr_from_image
from licences.scan import read_qr_from_pdf
from licences.service import CheckResult
from licences.service import LicenceService
from licences.service import LicenceView
from licences.service_errors import LicenceDataInvalid
from licences.service_errors import QRCodeNotFound
from licences.status_list import STATUS_LIST_MEDIA_TYPE
from signing.api_auth import APIAuthenticator
from signing.api_auth import APIClient
from signing.api_auth import APIScopeError

__all__ = ["API_SCOPE", "LicenceWebDeps", "bp", "init_app", "mask_credential_path"]

API_SCOPE: Final = "api:licences"
#: With it, a department may look up any holder's licences, not only its own issues.
LIBRARY_SCOPE: Final = "api:licences:library"
_MAX_UPLOAD: Final = 10 * 1024 * 1024
_NO_STORE: Final = {"Cache-Control": "no-store"}

bp = Blueprint("licences", __name__, template_folder="templates")


@dataclass(frozen=True)
class LicenceWebDeps:
    service: LicenceService
    api_auth: APIAuthenticator
    holder_auth: HolderAuthenticator


def init_app(app: Flask, deps: LicenceWebDeps) -> None:
    app.extensions["licences"] = deps
    app.register_blueprint(bp)


def _deps() -> LicenceWebDeps:
    deps: LicenceWebDeps = current_app.extensions["licences"]
    return deps


def _service() -> LicenceService:
    return _deps().service


def mask_credential_path(path: str) -> str:
    """``/v/01234…`` as ``/v/01…`` for logs: the digits are the credential itself."""
    if path.startswith("/v/") and len(path) > 5:
        return path[:5] + "…"
    return path


def _now() -> datetime:
    return datetime.now(UTC)


# -- verify page -----------------------------------------------------------------------------


@bp.get("/v/<path:digits>")
def verify_page(digits: str) -> Response:
    result = _service().check(digits, now=_now())
    return _verify_response(result)


@bp.route("/v", methods=["GET", "POST"])
def verify_upload() -> Response:
    if request.method == "GET":
        page = render_template("licences/verify.html", result=None, upload=True, china=CHINA_TIME)
        return Response(page, mimetype="text/html", headers=_NO_STORE)
    upload = request.files.get("image")
    text = request.form.get("content", "").strip()
    try:
        if upload is not None and upload.filename:
            data = upload.read(_MAX_UPLOAD + 1)
            if len(data) > _MAX_UPLOAD:
                raise QRCodeNotFound("the file is larger than 10 MB")
            text = read_qr_from_pdf(data) if data.startswith(b"%PDF-") else read_qr_from_image(data)
        elif not text:
            raise QRCodeNotFound("choose a photo or screenshot of the QR code")
    except QRCodeNotFound as exc:
        page = render_template(
            "licences/verify.html", result=None, upload=True, problem=exc.code, china=CHINA_TIME
        )
        return Response(page, status=422, mimetype="text/html", headers=_NO_STORE)
    return _verify_response(_service().check(text, now=_now()))


def _verify_response(result: CheckResult) -> Response:
    locale = g.get("locale", "zh-CN")
    fields: list[tuple[str, str]] = []
    qr_data_uri = None
    if result.licence is not None and result.licence_type is not None:
        from licences.render import fields_for_display

        fields = list(
            fields_for_display(
                result.licence_type, result.licence.data, verify_only=True, locale=locale
            )
        )
        if result.shown == "valid":
            svg = _service().qr_image(result.licence.id, "svg")
            qr_data_uri = "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
    page = render_template(
        "licences/verify.html",
        result=result,
        fields=fields,
        qr_data_uri=qr_data_uri,
        type_name=result.licence_type.name(locale) if result.licence_type else None,
        upload=False,
        china=CHINA_TIME,
    )
    status = 200
    return Response(page, status=status, mimetype="text/html", headers=_NO_STORE)


# -- published files ---------------------------------------------------------------------------


def _published(token: str, etag: str, media_type: str, max_age: int) -> Response:
    headers = {
        "ETag": etag,
        "Cache-Control": f"public, max-age={max_age}",
        "Access-Control-Allow-Origin": "*",
    }
    if request.if_none_match.contains(etag.strip('"')):
        return Response(status=304, headers=headers)
    return Response(token, mimetype=media_type, headers=headers)


@bp.get("/s/<int:list_id>")
def status_list(list_id: int) -> Response:
    # Short HTTP caching so a revocation shows within a minute; the list's own ttl tells
    # offline verifiers how long they may keep it. Revalidation is cheap with the ETag.
    publication = _service().status_list(list_id, _now())
    return _published(publication.token, publication.etag, STATUS_LIST_MEDIA_TYPE, 60)


@bp.get("/licences/trust-list.jwt")
def trust_list() -> Response:
    publication = _service().trust_list(_now())
    return _published(publication.token, publication.etag, "application/jwt", 3600)


@bp.get("/licences/roots.json")
def roots() -> Response:
    body = json.dumps(_service().roots_document(), ensure_ascii=False, indent=2)
    etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
    return _published(body, etag, "application/json", 3600)


# -- department API ----------------------------------------------------------------------------


def _bearer() -> str | None:
    auth = request.headers.get("Authorization", "")
    return auth[7:].strip() if auth[:7].lower() == "bearer " else None


def _client() -> APIClient:
    client = _deps().api_auth.authenticate(_bearer())
    if not any(s == API_SCOPE or s.startswith(API_SCOPE + ":") for s in client.scopes):
        raise APIScopeError(f"this API needs the {API_SCOPE} scope")
    return client


def _require_type_scope(client: APIClient, type_id: str) -> None:
    if API_SCOPE not in client.scopes and f"{API_SCOPE}:{type_id}" not in client.scopes:
        raise APIScopeError(f"this operation needs {API_SCOPE} or {API_SCOPE}:{type_id}")


def _json_response(body: Any, status: int = 200, **headers: str) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False),
        status=status,
        mimetype="application/json",
        headers={**_NO_STORE, **headers},
    )


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise LicenceDataInvalid("the request body must be a JSON object")
    return body


def _actor(client: APIClient) -> str:
    return f"client:{client.client_id}"


def _own_licence(client: APIClient, licence_id: str) -> LicenceView:
    view = _service().get(licence_id, department_id=client.department_id)
    _require_type_scope(client, view.type_id)
    return view


@bp.get("/api/licences/openapi.json")
def openapi_document() -> Response:
    return Response(
        openapi.document_bytes(),
        mimetype="application/json",
        headers={"Cache-Control": "public, max-age=300"},
    )


@bp.get("/api/licences/types")
def api_types() -> Response:
    _client()
    return _json_response({"types": [t.summary() for t in _service().list_types()]})


@bp.get("/api/licences/types/<type_id>")
def api_type(type_id: str) -> Response:
    _client()
    licence_type = _service().get_type(type_id)
    return _json_response({**licence_type.summary(), "definition": licence_type.definition})


@bp.post("/api/licences")
def api_issue() -> Response:
    client = _client()
    body = _body()
    type_id = body.get("type")
    holder = body.get("holder")
    if not isinstance(type_id, str):
        raise LicenceDataInvalid("type: the licence type id is required")
    if not isinstance(holder, dict):
        raise LicenceDataInvalid("holder: {kind, code, name} is required")
    _require_type_scope(client, type_id)
    key = request.headers.get("Idempotency-Key")
    service = _service()
    idempotency = None
    if key is not None:
        if not 1 <= len(key) <= 128 or not key.isascii() or not key.isprintable():
            raise LicenceDataInvalid("Idempotency-Key: 1 to 128 printable ASCII characters")
        fingerprint = hashlib.sha256(
            json.dumps(body, sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()
        replayed = service.replay(client.client_id, key, fingerprint)
        if replayed is not None:
            return _json_response(replayed.to_json(_now()), 201, **{"Idempotent-Replayed": "true"})
        idempotency = (client.client_id, key, fingerprint)
    try:
        view = service.issue(
            type_id=type_id,
            department_id=client.department_id,
            holder_kind=str(holder.get("kind", "entity")),
            holder_code=holder.get("code"),  # type: ignore[arg-type]
            holder_name=holder.get("name"),  # type: ignore[arg-type]
            data=body.get("data"),
            now=_now(),
            actor=_actor(client),
            idempotency=idempotency,
        )
    except Exception:
        # A concurrent request with the same key may have won the race: answer as it did.
        if idempotency is not None:
            replayed = service.replay(*idempotency)
            if replayed is not None:
                return _json_response(
                    replayed.to_json(_now()), 201, **{"Idempotent-Replayed": "true"}
                )
        raise
    return _json_response(view.to_json(_now()), 201, Location=f"/api/licences/{view.id}")


@bp.get("/api/licences")
def api_search() -> Response:
    client = _client()
    holder_code = request.args.get("holder_code")
    type_id = request.args.get("type")
    service = _service()
    if holder_code:
        kind = request.args.get("holder_kind", "entity")
        found = service.licences_of(kind, holder_code, type_id=type_id)
        if LIBRARY_SCOPE not in client.scopes:
            found = [v for v in found if v.department_id == client.department_id]
    else:
        found = service.licences_of_department(client.department_id, type_id=type_id)
    return _json_response({"licences": [v.to_json(_now()) for v in found]})


@bp.get("/api/licences/<licence_id>")
def api_get(licence_id: str) -> Response:
    client = _client()
    view = _own_licence(client, licence_id)
    return _json_response({**view.to_json(_now()), "record": view.record()})


@bp.get("/api/licences/<licence_id>/history")
def api_history(licence_id: str) -> Response:
    client = _client()
    _own_licence(client, licence_id)
    entries = _service().history(licence_id)
    return _json_response({"history": [e.to_json() for e in entries]})


@bp.get("/api/licences/<licence_id>/pdf")
def api_pdf(licence_id: str) -> Response:
    client = _client()
    _own_licence(client, licence_id)
    return Response(
        _service().pdf(licence_id),
        mimetype="application/pdf",
        headers={**_NO_STORE, "Content-Disposition": f'attachment; filename="{licence_id}.pdf"'},
    )


@bp.get("/api/licences/<licence_id>/qr.<kind>")
def api_qr(licence_id: str, kind: str) -> Response:
    if kind not in ("svg", "png"):
        raise NotFound()
    client = _client()
    _own_licence(client, licence_id)
    data = _service().qr_image(licence_id, "svg" if kind == "svg" else "png")
    return Response(
        data, mimetype="image/svg+xml" if kind == "svg" else "image/png", headers=_NO_STORE
    )


@bp.post("/api/licences/<licence_id>/amend")
def api_amend(licence_id: str) -> Response:
    client = _client()
    _own_licence(client, licence_id)
    body = _body()
    holder_name = body.get("holder_name")
    view = _service().amend(
        licence_id,
        data=body.get("data"),
        holder_name=holder_name if isinstance(holder_name, str) else None,
        reason=_reason(body),
        now=_now(),
        actor=_actor(client),
        department_id=client.department_id,
    )
    return _json_response(view.to_json(_now()))


def _reason(body: dict[str, Any]) -> str | None:
    reason = body.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise LicenceDataInvalid("reason must be a string")
    return reason


@bp.post("/api/licences/<licence_id>/<action>")
def api_status(licence_id: str, action: str) -> Response:
    if action not in ("suspend", "reinstate", "revoke"):
        raise NotFound()
    client = _client()
    _own_licence(client, licence_id)
    body = request.get_json(silent=True) or {}
    if not isinstance(body, dict):
        raise LicenceDataInvalid("the request body must be a JSON object")
    change = getattr(_service(), action)
    view: LicenceView = change(
        licence_id,
        now=_now(),
        actor=_actor(client),
        reason=_reason(body),
        department_id=client.department_id,
    )
    return _json_response(view.to_json(_now()))


@bp.post("/api/licences/verify")
def api_verify() -> Response:
    _client()
    body = _body()
    credential = body.get("credential")
    if not isinstance(credential, str):
        raise LicenceDataInvalid("credential: the QR code's text is required")
    result = _service().check(credential, now=_now())
    return _json_response(check_json(result))


def check_json(result: CheckResult) -> dict[str, Any]:
    """A check result as JSON: claims and issuer only for a genuine credential."""
    body: dict[str, Any] = {"status": result.shown, "checked_at": result.checked_at.isoformat()}
    if result.reason:
        body["reason"] = result.reason
    if result.claims is not None:
        claims = result.claims
        body["licence"] = {
            "id": claims.licence_id,
            "holder": {"code": claims.holder_code, "name": claims.holder_name},
            "not_before": claims.not_before.isoformat(),
            "not_after": None if claims.not_after is None else claims.not_after.isoformat(),
            "issuer": result.issuer_name,
        }
    return body


@bp.get("/api/licences/shared")
def api_shared() -> Response:
    """Licence data the holder consented to share (login scope ``licence:<type>``)."""
    grant = _deps().holder_auth.authenticate_holder(_bearer())
    if not grant.licence_types:
        raise APIScopeError("the token carries no licence:<type> scope")
    return _json_response({"licences": shared_licences(_service(), grant, now=_now())})

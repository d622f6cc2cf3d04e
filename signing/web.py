"""HTTP faces of the signing service: the department API, the PKI's publication points,
the verify page and the applicant's download.

Views only parse, call :class:`~signing.service.SigningService` and render; errors are
:class:`~config.errors.TongbanError`\\ s that the app's one error table turns into
problem details (``/api/...``) or pages. The API is described by ``openapi.json``
beside this module, served at ``/api/signing/v1/openapi.json``.

``signing`` knows neither the identity provider nor its browser sessions: the
composition root passes an :class:`~signing.api_auth.APIAuthenticator` for department
systems and a ``current_person`` function for the applicant's session.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from importlib import resources
from typing import Any
from typing import Final
from urllib.parse import quote

from flask import Blueprint
from flask import Flask
from flask import Response
from flask import current_app
from flask import redirect
from flask import render_template
from flask import request
from werkzeug.wrappers import Response as HTTPResponse

from signing.api_auth import APIAuthenticator
from signing.api_auth import APIClient
from signing.approvals import ApprovalInfo
from signing.approvals import ApprovalRequest
from signing.approvals import BatchInfo
from signing.approvals import decode_pdf
from signing.errors import ApplicantUnknown
from signing.errors import PDFNotSigned
from signing.errors import RequestInvalid
from signing.errors import SigningError
from signing.preview import seal_picture
from signing.service import SigningService
from signing.verify import Verdict

__all__ = ["API_PREFIX", "API_SCOPE", "SigningWeb", "init_app"]

API_PREFIX: Final = "/api/signing/v1"
#: The scope a department system's token needs; it reaches only its department's seals.
API_SCOPE: Final = "api:signing"
_IDEMPOTENCY_KEY: Final = re.compile(r"^[\x21-\x7e]{1,255}$")
_APPROVAL_FIELDS: Final = frozenset(
    {"seal", "applicant_sub", "template", "data", "pdf", "title", "document_number", "placement"}
)
_NO_STORE: Final = {"Cache-Control": "no-store"}

api = Blueprint("signing_api", __name__, url_prefix=API_PREFIX)
pki = Blueprint("signing_pki", __name__, url_prefix="/pki")
pages = Blueprint("signing", __name__, template_folder="templates")


@dataclass(frozen=True)
class SigningWeb:
    service: SigningService
    authenticator: APIAuthenticator
    #: The person logged in to this browser (the identity provider's session), or None.
    current_person: Callable[[], str | None]


def init_app(
    app: Flask,
    service: SigningService,
    authenticator: APIAuthenticator,
    current_person: Callable[[], str | None],
) -> None:
    """Register the blueprints; the arguments come from the composition root."""
    app.extensions["signing"] = SigningWeb(service, authenticator, current_person)
    app.register_blueprint(api)
    app.register_blueprint(pki)
    app.register_blueprint(pages)


def _web() -> SigningWeb:
    found: SigningWeb = current_app.extensions["signing"]
    return found


def _service() -> SigningService:
    return _web().service


def _now() -> datetime:
    return _service().clock()


# -- the department API ---------------------------------------------------------------


def _client() -> APIClient:
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else None
    client = _web().authenticator.authenticate(token)
    client.require(API_SCOPE)
    return client


@api.after_request
def _bearer_challenge(response: HTTPResponse) -> HTTPResponse:
    # RFC 6750 §3: a 401 names the scheme; a 403 for scope names the scope needed.
    if response.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="tongban", error="invalid_token"'
    elif response.status_code == 403:
        response.headers["WWW-Authenticate"] = (
            f'Bearer realm="tongban", error="insufficient_scope", scope="{API_SCOPE}"'
        )
    return response


@api.get("/openapi.json")
def openapi() -> HTTPResponse:
    document = json.loads(resources.files("signing").joinpath("openapi.json").read_text("utf-8"))
    document["servers"] = [{"url": _service().deps.settings.issuer.rstrip("/") + API_PREFIX}]
    return Response(
        json.dumps(document, ensure_ascii=False),
        mimetype="application/json",
        headers={"Cache-Control": "public, max-age=300"},
    )


@api.get("/seals")
def list_seals() -> HTTPResponse:
    client = _client()
    seals = _service().seals.for_department(client.department_id)
    body = [
        {
            "id": s.id,
            "name": s.name,
            "department": s.department_id,
            "status": s.status,
            "certificate_serial": s.certificate_serial,
            "not_after": _iso(s.not_after),
        }
        for s in seals
    ]
    return _json({"seals": body})


@api.post("/approvals")
def submit_approval() -> HTTPResponse:
    client = _client()
    key = _idempotency_key()
    if request.mimetype == "multipart/form-data":
        approval_request = _multipart_request(client)
    else:
        approval_request = _approval_request(client, _json_body(), "")
    submitted = _service().approvals.submit(
        approval_request,
        department_id=client.department_id,
        client_id=client.client_id,
        idempotency_key=key,
        now=_now(),
        actor=f"client:{client.client_id}",
    )
    info = submitted.approval
    status = 201 if not submitted.replayed else (202 if info.status == "pending" else 200)
    response = _json(_approval_json(info), status)
    response.headers["Location"] = f"{API_PREFIX}/approvals/{info.id}"
    if submitted.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@api.get("/approvals/<approval_id>")
def get_approval(approval_id: str) -> HTTPResponse:
    client = _client()
    info = _service().approvals.get(approval_id, department_id=client.department_id)
    return _json(_approval_json(info))


@api.get("/approvals/<approval_id>/document")
def approval_document(approval_id: str) -> HTTPResponse:
    client = _client()
    info, pdf = _service().approvals.document(approval_id, department_id=client.department_id)
    return _pdf_download(info, pdf)


@api.post("/batches")
def submit_batch() -> HTTPResponse:
    client = _client()
    key = _idempotency_key()
    body = _json_body()
    unknown = sorted(set(body) - {"seal", "items"})
    if unknown:
        raise RequestInvalid(f"{unknown[0]} is not a known field")
    items = body.get("items")
    if not isinstance(items, list) or not items:
        raise RequestInvalid("items must be a non-empty list")
    requests = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise RequestInvalid(f"items[{index}] must be an object")
        if "seal" in item:
            raise RequestInvalid(f"items[{index}].seal: name the seal once, for the batch")
        requests.append(
            _approval_request(client, {**item, "seal": body.get("seal")}, f"items[{index}].")
        )
    batch = _service().approvals.submit_batch(
        requests,
        department_id=client.department_id,
        client_id=client.client_id,
        idempotency_key=key,
        now=_now(),
        actor=f"client:{client.client_id}",
    )
    response = _json(_batch_json(batch), 200 if batch.replayed else 202)
    response.headers["Location"] = f"{API_PREFIX}/batches/{batch.id}"
    if batch.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@api.get("/batches/<batch_id>")
def get_batch(batch_id: str) -> HTTPResponse:
    client = _client()
    return _json(
        _batch_json(_service().approvals.batch(batch_id, department_id=client.department_id))
    )


@api.post("/verify")
def verify_api() -> HTTPResponse:
    """Anyone may verify; no token needed."""
    report = _service().verify(_uploaded_pdf(), now=_now())
    return _json(report.to_json())


# -- the PKI's publication points -------------------------------------------------------


@pki.get("/<any(root, issuing, tsa):name>.crt")
def certificate(name: str) -> HTTPResponse:
    return Response(
        _service().ca.certificate_der(name),
        mimetype="application/pkix-cert",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@pki.get("/<any(root, issuing):name>.crl")
def crl(name: str) -> HTTPResponse:
    return Response(
        _service().ca.crl(name, _now()),
        mimetype="application/pkix-crl",
        headers={"Cache-Control": "public, max-age=300"},
    )


@pki.post("/ocsp")
def ocsp_post() -> HTTPResponse:
    return _ocsp(request.get_data(cache=False))


@pki.get("/ocsp/<path:encoded>")
def ocsp_get(encoded: str) -> HTTPResponse:
    # RFC 6960 A.1: GET {url}/{url-encoding of base-64 encoding of the DER request}.
    try:
        der = base64.b64decode(encoded, validate=False)
    except (binascii.Error, ValueError):
        der = b""
    return _ocsp(der)


@pki.post("/tsa")
def timestamp() -> HTTPResponse:
    if request.mimetype != "application/timestamp-query":
        raise RequestInvalid("Send an RFC 3161 request as application/timestamp-query.")
    return Response(
        _service().ca.respond_timestamp(request.get_data(cache=False), _now()),
        mimetype="application/timestamp-reply",
        headers=_NO_STORE,
    )


def _ocsp(der: bytes) -> HTTPResponse:
    return Response(
        _service().ca.respond_ocsp(der, _now()),
        mimetype="application/ocsp-response",
        headers={"Cache-Control": "max-age=60"},
    )


# -- pages ------------------------------------------------------------------------------


@pages.get("/verify")
def verify_form() -> str:
    return render_template("signing/verify.html", report=None, pictures={}, error=None)


@pages.post("/verify")
def verify_page() -> tuple[str, int]:
    try:
        pdf = _uploaded_pdf()
        report = _service().verify(pdf, now=_now())
    except SigningError as exc:
        status = exc.http_status if exc.http_status < 500 else 503
        return render_template("signing/verify.html", report=None, pictures={}, error=exc), status
    pictures = {}
    for signature in report.signatures:
        if signature.appearance is not None:
            picture = seal_picture(pdf, signature.appearance)
            if picture is not None:
                pictures[signature.field_name] = base64.b64encode(picture).decode()
    return (
        render_template(
            "signing/verify.html",
            report=report,
            pictures=pictures,
            error=None,
            valid=report.verdict is Verdict.VALID,
        ),
        200,
    )


@pages.get("/approvals/<approval_id>/download")
def download(approval_id: str) -> HTTPResponse:
    """The applicant's own signed approval; log in first, and only yours."""
    person = _web().current_person()
    if person is None:
        return redirect("/login", 303)
    info, pdf = _service().approvals.document(approval_id, person_id=person)
    return _pdf_download(info, pdf)


# -- helpers ----------------------------------------------------------------------------


def _json(value: Any, status: int = 200) -> HTTPResponse:
    return Response(
        json.dumps(value, ensure_ascii=False),
        status=status,
        mimetype="application/json",
        headers=_NO_STORE,
    )


def _json_body() -> dict[str, Any]:
    if not request.is_json:
        raise RequestInvalid("Send JSON (Content-Type: application/json).")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise RequestInvalid("The body must be a JSON object.")
    return body


def _idempotency_key() -> str | None:
    value = request.headers.get("Idempotency-Key")
    if value is None:
        return None
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]  # the draft's structured-field string form
    if not _IDEMPOTENCY_KEY.match(value):
        raise RequestInvalid("Idempotency-Key must be 1 to 255 visible ASCII characters.")
    return value


def _person(client: APIClient, sub: Any, field: str) -> str | None:
    if sub is None:
        return None
    if not isinstance(sub, str) or not sub:
        raise RequestInvalid(f"{field}applicant_sub must be a string")
    person = _web().authenticator.person_for_subject(client, sub)
    if person is None:
        raise ApplicantUnknown(f"{field}applicant_sub: {ApplicantUnknown.public_message}")
    return person


def _approval_request(client: APIClient, body: dict[str, Any], field: str) -> ApprovalRequest:
    unknown = sorted(set(body) - _APPROVAL_FIELDS)
    if unknown:
        raise RequestInvalid(f"{field}{unknown[0]} is not a known field")
    seal = body.get("seal")
    if not isinstance(seal, str) or not seal:
        raise RequestInvalid("seal must name one of your department's seals")
    data = body.get("data")
    if data is not None and not isinstance(data, dict):
        raise RequestInvalid(f"{field}data must be an object")
    placement = body.get("placement")
    if placement is not None and not isinstance(placement, dict):
        raise RequestInvalid(f"{field}placement must be an object")
    for name in ("template", "title", "document_number"):
        if body.get(name) is not None and not isinstance(body[name], str):
            raise RequestInvalid(f"{field}{name} must be a string")
    pdf = None
    if body.get("pdf") is not None:
        pdf = decode_pdf(body["pdf"], f"{field}pdf", _service().settings.max_pdf_bytes)
    return ApprovalRequest(
        seal_id=seal,
        person_id=_person(client, body.get("applicant_sub"), field),
        template=body.get("template"),
        data=data,
        pdf=pdf,
        title=body.get("title"),
        document_number=body.get("document_number"),
        placement=placement,
    )


def _multipart_request(client: APIClient) -> ApprovalRequest:
    form = request.form
    upload = request.files.get("file")
    if upload is None:
        raise RequestInvalid("Send the PDF as the multipart part named file.")
    pdf = bytes(upload.read(_service().settings.max_pdf_bytes + 1))
    placement: dict[str, Any] | None = None
    if form.get("anchor"):
        placement = {"anchor": form["anchor"]}
    elif form.get("page") or form.get("x") or form.get("y"):
        try:
            placement = {"page": int(form["page"]), "x": float(form["x"]), "y": float(form["y"])}
        except (KeyError, ValueError):
            raise RequestInvalid("page, x and y go together: an integer and two numbers") from None
    return ApprovalRequest(
        seal_id=form.get("seal", ""),
        person_id=_person(client, form.get("applicant_sub"), ""),
        pdf=pdf,
        title=form.get("title"),
        document_number=form.get("document_number") or None,
        placement=placement,
    )


def _uploaded_pdf() -> bytes:
    limit = _service().settings.max_pdf_bytes + 1
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise PDFNotSigned("Choose a PDF file to verify.")
        return bytes(upload.read(limit))
    if request.mimetype == "application/pdf":
        return request.get_data(cache=False)[:limit]
    raise RequestInvalid("Send the PDF as application/pdf, or as multipart part file.")


def _pdf_download(info: ApprovalInfo, pdf: bytes) -> HTTPResponse:
    filename = f"{info.title}.pdf"
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": (
                f'attachment; filename="approval-{info.id}.pdf"; '
                f"filename*=UTF-8''{quote(filename)}"
            ),
            "Cache-Control": "private, no-store",
        },
    )


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def _approval_json(info: ApprovalInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "status": info.status,
        "seal": info.seal_id,
        "department": info.department_id,
        "department_name": info.department_name,
        "title": info.title,
        "document_number": info.document_number,
        "source": info.source,
        "batch": (
            {"id": info.batch_id, "index": info.batch_index} if info.batch_id is not None else None
        ),
        "created_at": _iso(info.created_at),
        "signed_at": _iso(info.signed_at),
        "sha256": info.sha256,
        "size": info.size,
        "error": (
            {"code": info.error_code, "message": info.error_message}
            if info.error_code is not None
            else None
        ),
        "links": {
            "self": f"{API_PREFIX}/approvals/{info.id}",
            "document": (
                f"{API_PREFIX}/approvals/{info.id}/document" if info.status == "signed" else None
            ),
        },
    }


def _batch_json(batch: BatchInfo) -> dict[str, Any]:
    return {
        "id": batch.id,
        "status": batch.status,
        "seal": batch.seal_id,
        "department": batch.department_id,
        "total": batch.total,
        "pending": batch.pending,
        "signed": batch.signed,
        "failed": batch.failed,
        "created_at": _iso(batch.created_at),
        "completed_at": _iso(batch.completed_at),
        "last_error": batch.last_error,
        "approvals": [_approval_json(a) for a in batch.approvals],
        "links": {"self": f"{API_PREFIX}/batches/{batch.id}"},
    }

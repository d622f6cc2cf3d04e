"""One table from error codes to HTTP answers, as problem details or a localized page.

Domain errors carry a stable ``code``; what reaches the client is the status, a
localized title and, only for errors about the client's own input (``expose``), the
error's message. The private detail goes to the log with the request id. Anything
unexpected becomes a generic 500 (node-oidc-provider's ``err_out``).
"""

from __future__ import annotations

import logging
from typing import Any
from typing import Final

from flask import Flask
from flask import g
from flask import json
from flask import render_template
from flask import request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from config.errors import TongbanError
from tongban.i18n import translate

log = logging.getLogger("tongban.errors")

PROBLEM_JSON: Final = "application/problem+json"
#: Paths whose clients are programs: they always get problem details.
API_PREFIXES: Final = (
    "/api/",
    "/.well-known/",
    "/healthz",
    "/readyz",
    "/metrics",
    "/token",
    "/userinfo",
    "/revoke",
    "/introspect",
    "/par",
    "/register",
    "/jwks.json",
)


def wants_json() -> bool:
    if request.path.startswith(API_PREFIXES):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json", PROBLEM_JSON])
    return best in ("application/json", PROBLEM_JSON)


def problem_response(
    status: int, code: str, title: str, detail: str | None = None, **extra: Any
) -> Response:
    """An RFC 9457 problem details response."""
    body: dict[str, Any] = {
        "type": "about:blank" if code == "http" else f"urn:tongban:error:{code}",
        "title": title,
        "status": status,
        "code": code,
    }
    if detail:
        body["detail"] = detail
    request_id = g.get("request_id")
    if request_id:
        body["request_id"] = request_id
    body.update(extra)
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_JSON)


def error_response(status: int, code: str, detail: str | None = None) -> Response:
    locale = g.get("locale", "zh-CN")
    title = translate(f"error.{status}", locale)
    if title == f"error.{status}":
        title = translate("error.500" if status >= 500 else "error.400", locale)
    if wants_json():
        return problem_response(status, code, title, detail)
    page = render_template("error.html", status=status, title=title, detail=detail)
    return Response(page, status=status, mimetype="text/html")


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(TongbanError)
    def on_domain_error(exc: TongbanError) -> Response:
        status = exc.http_status
        level = logging.ERROR if status >= 500 else logging.INFO
        log.log(
            level, "%s: %s", exc.code, exc.message, extra={"code": exc.code, "detail": exc.detail}
        )
        shown = exc.message if exc.expose else None
        return error_response(status, exc.code, shown)

    @app.errorhandler(HTTPException)
    def on_http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        response = error_response(status, "http")
        if status == 405 and exc.valid_methods:  # type: ignore[attr-defined]
            response.headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
        return response

    @app.errorhandler(Exception)
    def on_unexpected(exc: Exception) -> Response:
        log.exception("unhandled %s", type(exc).__name__)
        return error_response(500, "internal_error")

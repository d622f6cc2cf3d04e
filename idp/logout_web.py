"""RP-Initiated Logout 1.0: the ``end_session_endpoint``, and the logged-out page that
carries Front-Channel Logout 1.0 iframes."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

from flask import Blueprint
from flask import current_app
from flask import request
from werkzeug.wrappers import Response as HTTPResponse

from idp.clients import Client
from idp.provider import Provider
from keys.errors import KeyNotFound
from keys.jose import JWTError
from keys.jose import verify_jwt

bp = Blueprint("idp_logout", __name__, template_folder="templates")
#: Read by tongban.security to allow exactly these origins in frame-src.
FRAME_SOURCES_HEADER = "X-Tongban-Frame-Sources"


def _provider() -> Provider:
    provider: Provider = current_app.extensions["idp"].provider
    return provider


@bp.route("/logout", methods=["GET", "POST"])
def end_session() -> HTTPResponse:
    # idp.web registers this blueprint, so the page helpers are imported here, not at the top.
    from idp.webkit import SESSION_COOKIE
    from idp.webkit import browser_session as _browser_session
    from idp.webkit import csrf_ok as _csrf_ok
    from idp.webkit import page as _page

    p = _provider()
    params = request.args if request.method == "GET" else request.form
    hint = params.get("id_token_hint")
    hint_claims = _verify_hint(p, hint) if hint else None
    if hint and hint_claims is None:
        return _error(_page, "id_token_hint is not an ID token issued here")
    client = _client(p, params.get("client_id"), hint_claims)
    if isinstance(client, str):
        return _error(_page, client)
    redirect_to = params.get("post_logout_redirect_uri")
    if redirect_to and (client is None or redirect_to not in client.post_logout_redirect_uris):
        return _error(_page, "post_logout_redirect_uri is not registered for this client")
    session = _browser_session()
    confirmed = session is not None and (
        (hint_claims is not None and hint_claims.get("sid") == session.public_id)
        or (request.method == "POST" and params.get("confirm") == "yes" and _csrf_ok())
    )
    if session is not None and not confirmed:
        fields = [
            (k, v)
            for k, v in params.items()
            if k
            in ("id_token_hint", "client_id", "post_logout_redirect_uri", "state", "ui_locales")
        ]
        return _page("idp/logout_confirm.html", 200, fields=fields, client=client)
    front = []
    if session is not None:
        front = p.logouts.end(session, reason="logout", actor=f"person:{session.person_id}")
    target = _with_state(redirect_to, params.get("state")) if redirect_to else None
    response = _page("idp/logged_out.html", 200, front=front, target=target, client=client)
    response.delete_cookie(SESSION_COOKIE, path="/")
    if front:
        origins = sorted({_origin(notice.url) for notice in front})
        response.headers[FRAME_SOURCES_HEADER] = " ".join(origins)
    return response


def _verify_hint(p: Provider, token: str) -> dict[str, Any] | None:
    """The claims of an ID token we issued; expired ones count (§2: it may have expired)."""

    def key_for(kid: str | None) -> Any:
        for purpose in p.signing_purposes():
            try:
                return p.keys.verification_key(purpose, kid)
            except KeyNotFound:
                continue
        raise JWTError("unknown kid")

    try:
        return verify_jwt(token, key_for, issuer=p.issuer, leeway=10**9, require=("sub", "aud"))
    except (JWTError, ValueError):
        return None


def _client(p: Provider, client_id: str | None, hint: dict[str, Any] | None) -> Client | str | None:
    audience = hint.get("aud") if hint else None
    hinted = audience if isinstance(audience, str) else (audience[0] if audience else None)
    if client_id and hinted and client_id != hinted:
        return "client_id does not match the id_token_hint"
    chosen = client_id or hinted
    if not chosen:
        return None
    client = p.clients.find(chosen)
    return client if client is not None else "unknown client_id"


def _with_state(uri: str, state: str | None) -> str:
    if not state:
        return uri
    parts = urlsplit(uri)
    query = (parts.query + "&" if parts.query else "") + urlencode({"state": state})
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _error(page: Any, description: str) -> HTTPResponse:
    response: HTTPResponse = page("error.html", 400, status=400, detail=description)
    return response

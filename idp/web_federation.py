"""Login through the upstream OpenID Connect provider: off the login page to the
upstream, and back (``/login/upstream``, ``/login/upstream/callback``).

The ``state`` of each login is kept server-side in the ephemeral store with its PKCE
verifier and nonce, taken once, and bound to the browser that started it by a random
value in the signed session cookie: a callback URL carried to another browser (login
CSRF) or replayed is refused. Mapping the person is :mod:`idp.federation`'s; the end
of the login (real-name step-up, entity choice, back to the client) is the same as for
every other method (:func:`idp.webkit.finish_login`). With federation off both routes
answer 404.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import secrets
from typing import Any
from typing import Final

from flask import Blueprint
from flask import abort
from flask import g
from flask import redirect
from flask import request
from flask import session as flask_session
from werkzeug.wrappers import Response as HTTPResponse

from config.load import acr_level_map
from idp.errors import FederationError
from idp.errors import FederationStateInvalid
from idp.errors import UpstreamDenied
from idp.errors import UpstreamLoginInvalid
from idp.errors import UpstreamUnavailable
from idp.federation import Federation
from idp.federation import identity_from_claims
from idp.login import LoginResult
from idp.oauth.upstream import UpstreamClient
from idp.web import login_page
from idp.webkit import NO_STORE
from idp.webkit import Waiting
from idp.webkit import error_text
from idp.webkit import finish_login
from idp.webkit import provider
from idp.webkit import safe_next
from idp.webkit import state as idp_state
from idp.webkit import utcnow
from idp.webkit import waiting

bp = Blueprint("federation", __name__)
log = logging.getLogger("tongban.federation")

STATE_KEY: Final = "federation-state:"
#: The Flask session key of the browser's binding value.
BINDING: Final = "tb_fed"
_STATE_SHAPE: Final = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
#: Error codes of an authorization response (RFC 6749 §4.1.2.1, OpenID Connect Core
#: §3.1.2.6) that mean the person or the upstream's policy said no.
DENIED: Final = frozenset(
    {
        "access_denied",
        "login_required",
        "consent_required",
        "interaction_required",
        "account_selection_required",
        "unmet_authentication_requirements",
    }
)


def upstream() -> tuple[UpstreamClient, Federation]:
    """The upstream client and the mapping service; 404 when federation is off."""
    client = idp_state().upstream
    federation = provider().federation
    if client is None or federation is None:
        abort(404)
    return client, federation


@bp.get("/login/upstream")
def start() -> HTTPResponse:
    client, _ = upstream()
    wait = waiting()
    binding = flask_session.get(BINDING)
    if not isinstance(binding, str):
        binding = secrets.token_urlsafe(24)
        flask_session[BINDING] = binding
    login_state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)
    try:
        url = client.authorization_url(
            state=login_state, nonce=nonce, code_verifier=verifier, extra=_extra_params(wait)
        )
    except FederationError as exc:
        return _failed(wait, exc)
    record = {
        "binding": binding,
        "nonce": nonce,
        "verifier": verifier,
        "interaction": wait.id,
        "next": safe_next(request.args.get("next")),
        "max_age": _max_age(wait),
    }
    ttl = client.settings.state_seconds
    provider().ephemeral.put(STATE_KEY + login_state, json.dumps(record).encode(), ttl)
    response = redirect(url, 303)
    response.headers.update(NO_STORE)
    return response


@bp.get("/login/upstream/callback")
def callback() -> HTTPResponse:
    client, federation = upstream()
    record = _take_state(request.args.get("state", ""))
    wait = waiting(str(record.get("interaction") or "")) if record else waiting("")
    try:
        if record is None:
            raise FederationStateInvalid(
                "this login expired or was already used; please start again",
                detail="unknown or used state",
            )
        bound = flask_session.get(BINDING)
        if not isinstance(bound, str) or not hmac.compare_digest(
            bound.encode(), str(record["binding"]).encode()
        ):
            raise FederationStateInvalid(
                "this login was not started in this browser; please start again",
                detail="state bound to another browser",
            )
        client.check_response_issuer(request.args.get("iss"))
        _raise_for_error(request.args.get("error"))
        code = request.args.get("code", "")
        if not code or len(code) > 2048:
            raise UpstreamLoginInvalid(
                "the login at the upstream provider could not be completed",
                detail="callback without a code",
            )
        claims = client.claims(
            code,
            code_verifier=str(record["verifier"]),
            nonce=str(record["nonce"]),
            max_age_seconds=client.settings.state_seconds,
            auth_max_age=record.get("max_age"),
        )
        now = utcnow()
        identity = identity_from_claims(claims, client.settings, today=now.date())
        login = federation.sign_in(identity, now=now, request_id=g.get("request_id"))
    except FederationError as exc:
        return _failed(wait, exc)
    result = LoginResult(login.person, login.amr, login.person.username, level=login.level)
    next_path = record.get("next") if record else None
    return finish_login(
        result, wait.id, next_path=next_path if isinstance(next_path, str) else None
    )


def _take_state(value: str) -> dict[str, Any] | None:
    if not _STATE_SHAPE.match(value):
        return None
    raw = provider().ephemeral.take(STATE_KEY + value)
    if raw is None:
        return None
    record: dict[str, Any] = json.loads(raw)
    return record


def _raise_for_error(error: str | None) -> None:
    if error is None:
        return
    code = error if re.fullmatch(r"[a-z_]{1,40}", error) else "malformed"
    if code in DENIED:
        raise UpstreamDenied(
            "the login at the upstream provider was cancelled or not allowed",
            detail=f"upstream answered {code}",
        )
    raise UpstreamUnavailable(
        "the upstream provider could not log you in; please try again later",
        detail=f"upstream answered {code}",
    )


def _extra_params(wait: Waiting) -> dict[str, str]:
    """``ui_locales`` of this page; ``acr_values`` the upstream must reach when the
    client needs a level (the upstream's values that map to it or higher); and the
    client's ``prompt=login`` and ``max_age``, so an upstream session cannot stand in
    for the fresh login the client asked for."""
    extra = {"ui_locales": str(g.get("locale", "zh-CN"))}
    if "login" in str(wait.params.get("prompt", "")).split():
        extra["prompt"] = "login"
    max_age = _max_age(wait)
    if max_age is not None:
        extra["max_age"] = str(max_age)
    needed = wait.required_level
    if needed:
        fed = provider().settings.federation
        levels = acr_level_map(fed.acr_levels)
        fitting = sorted((lvl, acr) for acr, lvl in levels.items() if lvl >= needed)
        if fitting:
            extra["acr_values"] = " ".join(acr for _, acr in fitting)
    return extra


def _max_age(wait: Waiting) -> int | None:
    value = str(wait.params.get("max_age", ""))
    if value.isdigit():
        return int(value)
    if wait.client is not None and wait.client.default_max_age is not None:
        return wait.client.default_max_age
    return None


def _failed(wait: Waiting, exc: FederationError) -> HTTPResponse:
    # The detail names the failed check; it holds no tokens and no personal data.
    log.warning("federation login failed: %s (%s)", exc.code, exc.detail or "-")
    return login_page(wait, exc.http_status, error=error_text(exc))

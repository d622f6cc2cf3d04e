"""Security headers on every response, and request ids."""

from __future__ import annotations

import re
import secrets
from typing import Final

from werkzeug.wrappers import Response

#: Strict by default: no inline script or style, no framing, no plugins.
CONTENT_SECURITY_POLICY: Final = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HSTS: Final = "max-age=63072000; includeSubDomains"
_INCOMING_ID: Final = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def request_id_from(header: str | None) -> str:
    """Reuse a well-formed ``X-Request-ID`` from a proxy, else make one."""
    if header and _INCOMING_ID.match(header):
        return header
    return secrets.token_urlsafe(12)


#: A page that embeds other sites (front-channel logout) names their origins here, and a
#: page whose form ends up at a client (login, consent: the answer redirects there; the
#: form_post response mode) names the client's origin, so the policy can allow exactly
#: those. Browsers apply form-action to the redirects that follow a form, too.
FRAME_SOURCES_HEADER: Final = "X-Tongban-Frame-Sources"
FORM_TARGETS_HEADER: Final = "X-Tongban-Form-Targets"
_ORIGIN: Final = re.compile(r"^https?://[A-Za-z0-9.\-\[\]:]+$|^[a-z][a-z0-9+.\-]*:$")


def content_security_policy(frame_sources: str | None, form_targets: str | None) -> str:
    """The default policy, widened only by the origins a page names."""
    policy = CONTENT_SECURITY_POLICY
    forms = [o for o in (form_targets or "").split() if _ORIGIN.match(o)]
    if forms:
        policy = policy.replace("form-action 'self'", "form-action 'self' " + " ".join(forms))
    frames = [o for o in (frame_sources or "").split() if _ORIGIN.match(o)]
    if frames:
        policy += "; frame-src " + " ".join(frames)
    return policy


def add_security_headers(response: Response, *, production: bool) -> Response:
    headers = response.headers
    policy = content_security_policy(
        headers.pop(FRAME_SOURCES_HEADER, None), headers.pop(FORM_TARGETS_HEADER, None)
    )
    headers.setdefault("Content-Security-Policy", policy)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    # Authorization codes travel in URLs: never leak them to another site.
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
    if response.mimetype == "text/html":
        headers.setdefault("Cache-Control", "no-store")
    if production:
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response

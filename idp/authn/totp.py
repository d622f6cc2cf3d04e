"""Time-based one-time passwords from authenticator apps (RFC 6238, via pyotp).

SHA-1, 6 digits, 30-second steps: the parameters every authenticator app supports
(RFC 6238 §4 and the Key Uri Format of Google Authenticator). A code is accepted for
the current step and one step either side (§5.2 "the validation system should compare
OTPs ... within a window"), and only once: §5.2 also says the verifier "MUST NOT
accept the second attempt of the OTP after the successful validation has been
issued", which the ephemeral store's atomic ``add`` enforces across every worker.

Guessing is bounded by the login throttle (:mod:`idp.authn.throttle`), not here.
"""

from __future__ import annotations

import hmac
import unicodedata
from datetime import datetime
from typing import Final

import pyotp

from idp.authn.errors import TOTPInvalid
from idp.authn.errors import TOTPReplayed
from idp.authn.ratelimit import subject_digest
from store.ephemeral import EphemeralStore

DIGITS: Final = 6
STEP: Final = 30
#: Steps accepted either side of the current one.
WINDOW: Final = 1
ISSUER: Final = "通办 Tongban"


def new_totp_secret() -> str:
    """A new shared secret: 32 base32 characters, 160 bits (RFC 4226 §4 R6)."""
    return pyotp.random_base32(length=32)


def provisioning_uri(secret: str, *, account_name: str, issuer: str = ISSUER) -> str:
    """The ``otpauth://totp/...`` URI an authenticator app scans as a QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP).provisioning_uri(
        name=account_name, issuer_name=issuer
    )


class TOTPVerifier:
    """Checks authenticator codes and remembers which were used."""

    def __init__(self, store: EphemeralStore, subject_key: bytes) -> None:
        self._store = store
        self._subject_key = subject_key

    def verify(self, secret: str, code: str, *, account: str, now: datetime) -> None:
        """Accept ``code`` for ``account`` at ``now``, once; raise :class:`TOTPInvalid`."""
        totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP)
        typed = unicodedata.normalize("NFKC", code).replace(" ", "").strip()
        current = totp.timecode(now)
        matched: int | None = None
        # Compare with every step in the window, always, so timing says nothing about
        # which step (if any) matched.
        for offset in range(-WINDOW, WINDOW + 1):
            candidate = totp.generate_otp(current + offset)
            if hmac.compare_digest(candidate.encode(), typed.encode()) and matched is None:
                matched = current + offset
        if matched is None:
            raise TOTPInvalid("the authenticator code is not right; check the time on your phone")
        marker = f"totp-used:{subject_digest(self._subject_key, account)}:{matched}"
        if not self._store.add(marker, b"1", STEP * (2 * WINDOW + 2)):
            raise TOTPReplayed("this authenticator code was already used; wait for the next one")

"""One-time SMS codes that prove a person holds a phone number.

* A code is 6 digits from :mod:`secrets`; only its HMAC-SHA256 (keyed, bound to the
  purpose and the phone number) is stored, in the ephemeral store, for 5 minutes.
* A code is used once: the successful check *takes* it atomically, so of two
  concurrent checks with the right code exactly one succeeds.
* A code is compared in constant time, and tolerates at most ``max_attempts`` wrong
  tries; then it is void and a new one must be requested.
* Sending is rate-limited per phone number (1 a minute, 5 an hour) and per client
  address (20 an hour); a refusal says when to try again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from typing import Final

from idp.authn.errors import OneTimeCodeAttemptsExceeded
from idp.authn.errors import OneTimeCodeExpired
from idp.authn.errors import OneTimeCodeInvalid
from idp.authn.errors import SMSUnavailable
from idp.authn.ratelimit import Limit
from idp.authn.ratelimit import RateLimiter
from idp.authn.ratelimit import subject_digest
from idp.authn.sms import SMSGateway
from idp.identity.phones import parse_mobile
from store.ephemeral import EphemeralStore

CODE_DIGITS: Final = 6
DEFAULT_TEXT: Final = (
    "【通办】您的验证码是 {code}，{minutes} 分钟内有效。如非本人操作，请忽略本短信。"
)


@dataclass(frozen=True)
class OneTimeCodeSettings:
    ttl: int = 300
    max_attempts: int = 5
    per_phone_minute: int = 1
    per_phone_hour: int = 5
    per_address_hour: int = 20
    #: The SMS text; ``{code}`` and ``{minutes}`` are filled in.
    text: str = DEFAULT_TEXT


@dataclass(frozen=True)
class CodeSent:
    """What the page may tell the person: until when the code works, when to resend."""

    expires_at: datetime
    resend_after: datetime


class OneTimeCodes:
    """Sends and checks one-time codes; ``secret`` keys the stored hashes."""

    def __init__(
        self,
        store: EphemeralStore,
        gateway: SMSGateway,
        secret: bytes,
        settings: OneTimeCodeSettings | None = None,
    ) -> None:
        if len(secret) < 16:
            raise ValueError("the one-time code secret needs at least 16 bytes")
        self._store = store
        self._gateway = gateway
        self._secret = secret
        self.settings = settings or OneTimeCodeSettings()
        s = self.settings
        self._limiter = RateLimiter(store, secret, prefix="otp-rl")
        self._per_minute = Limit("phone-minute", s.per_phone_minute, 60, "codes for this number")
        self._per_hour = Limit("phone-hour", s.per_phone_hour, 3600, "codes for this number")
        self._per_address = Limit(
            "address-hour", s.per_address_hour, 3600, "codes requested from your network"
        )

    def send(
        self, phone: str, *, address: str, purpose: str, now: datetime, deliver: bool = True
    ) -> CodeSent:
        """Send a new code to ``phone`` (replacing any pending one) for ``purpose``.

        :param address: the client's IP address, for the per-address limit.
        :param purpose: what the code is for (``"register"``, ``"login"``); a code sent
            for one purpose does not work for another.
        :param deliver: False does everything but hand the text to the gateway: for a
            login code asked for a number that has no account, so that counting,
            storing and later checking behave exactly as for a real one and the answers
            do not tell which numbers have accounts.
        """
        _check_purpose(purpose)
        number = parse_mobile(phone)
        rules = [
            (self._per_minute, number),
            (self._per_hour, number),
            (self._per_address, address),
        ]
        self._limiter.hit(rules, now=now)
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        record = {"id": secrets.token_hex(8), "mac": self._mac(purpose, number, code)}
        key = self._key(purpose, number)
        self._store.put(key, json.dumps(record).encode("ascii"), self.settings.ttl)
        text = self.settings.text.format(code=code, minutes=self.settings.ttl // 60)
        if not deliver:
            return CodeSent(
                expires_at=now + timedelta(seconds=self.settings.ttl),
                resend_after=now + timedelta(seconds=60),
            )
        try:
            self._gateway.send(number, text)
        except SMSUnavailable:
            # Nothing was sent: forget the code and let the person retry at once.
            self._store.delete(key)
            self._limiter.reset(self._per_minute, number)
            raise
        return CodeSent(
            expires_at=now + timedelta(seconds=self.settings.ttl),
            resend_after=now + timedelta(seconds=60),
        )

    def verify(self, phone: str, code: str, *, purpose: str) -> None:
        """Accept ``code`` once, or raise a :class:`~idp.authn.errors.OneTimeCodeError`."""
        _check_purpose(purpose)
        number = parse_mobile(phone)
        key = self._key(purpose, number)
        raw = self._store.get(key)
        if raw is None:
            raise OneTimeCodeExpired(
                "there is no valid code for this number: it expired or was already used; "
                "request a new one"
            )
        record = json.loads(raw)
        tries = self._store.incr(f"{key}:tries:{record['id']}", self.settings.ttl)
        if tries > self.settings.max_attempts:
            if self._store.take(key) is None:
                raise OneTimeCodeExpired("this code was already used; request a new one")
            raise OneTimeCodeAttemptsExceeded(
                "too many wrong codes; this code no longer works, request a new one"
            )
        typed = unicodedata.normalize("NFKC", code).strip()
        if not hmac.compare_digest(self._mac(purpose, number, typed), record["mac"]):
            left = self.settings.max_attempts - tries
            if left <= 0:
                self._store.take(key)
                raise OneTimeCodeAttemptsExceeded(
                    "too many wrong codes; this code no longer works, request a new one"
                )
            raise OneTimeCodeInvalid(
                f"the code is not right; {left} tr{'ies' if left != 1 else 'y'} left",
                attempts_left=left,
            )
        if self._store.take(key) != raw:
            raise OneTimeCodeExpired("this code was already used; request a new one")

    def _key(self, purpose: str, number: str) -> str:
        return f"otp:{purpose}:{subject_digest(self._secret, number)}"

    def _mac(self, purpose: str, number: str, code: str) -> str:
        message = f"tongban-otp-v1\x00{purpose}\x00{number}\x00{code}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()


def _check_purpose(purpose: str) -> None:
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,31}", purpose):
        raise ValueError(f"purpose must be a short lower-case identifier, got {purpose!r}")

"""Logins by every method, behind one brute-force throttle.

Each method returns a :class:`LoginResult`: who, by which methods (``amr``), and whether
the TOTP second factor is still due. The throttle (:mod:`idp.authn.throttle`) counts
failures per login name, per (name, address) and per address in the ephemeral store,
so its limits hold across workers, with a capped back-off so nobody is locked out for
good. An unknown name is counted, checked and answered exactly like a known one: the
same Argon2 work, the same error, the same SMS-code behaviour (a code is "sent" and
checked without reaching any phone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from idp.accounts import Accounts
from idp.accounts import Person
from idp.acr import LEVELS
from idp.acr import acr_for
from idp.authn.errors import OneTimeCodeError
from idp.authn.errors import SMSUnavailable
from idp.authn.errors import TOTPInvalid
from idp.authn.otp import CodeSent
from idp.authn.otp import OneTimeCodes
from idp.authn.throttle import LoginThrottle
from idp.authn.totp import TOTPVerifier
from idp.errors import LoginFailed
from idp.identity.phones import parse_mobile

LOGIN_PURPOSE: Final = "login"


@dataclass(frozen=True)
class LoginResult:
    person: Person
    amr: tuple[str, ...]
    #: The name the throttle counted this login under (for the second factor).
    login_name: str
    totp_due: bool = False
    #: A level decided elsewhere: a federated login's is the upstream's, mapped and capped.
    level: int | None = None

    @property
    def acr(self) -> str:
        if self.level is not None:
            return LEVELS[self.level]
        return acr_for(self.person.loa, self.amr)


class SMSDisabled(SMSUnavailable):
    code = "sms_disabled"


class Logins:
    def __init__(
        self,
        accounts: Accounts,
        throttle: LoginThrottle,
        totp: TOTPVerifier,
        codes: OneTimeCodes | None,
    ) -> None:
        self._accounts = accounts
        self._throttle = throttle
        self._totp = totp
        self._codes = codes

    @property
    def sms_enabled(self) -> bool:
        return self._codes is not None

    # -- password -----------------------------------------------------------------------------

    def password(self, login: str, password: str, *, address: str, now: datetime) -> LoginResult:
        """Check a password; :class:`LoginFailed` or :class:`LoginThrottled` otherwise."""
        name = login.strip()[:200]
        self._throttle.check(name, address, now=now)
        try:
            person = self._accounts.authenticate(name, password, now=now)
        except LoginFailed:
            self._throttle.record_failure(name, address, now=now)
            raise
        return self._first_factor_done(person, ("pwd",), name, address)

    # -- SMS codes ----------------------------------------------------------------------------

    def send_sms_code(self, phone: str, *, address: str, now: datetime) -> CodeSent:
        """Send a login code to ``phone`` if it has an account; behave the same if not."""
        codes = self._require_codes()
        number = parse_mobile(phone)
        holder = self._accounts.by_phone(number)
        return codes.send(
            number,
            address=address,
            purpose=LOGIN_PURPOSE,
            now=now,
            deliver=holder is not None and holder.active,
        )

    def sms(self, phone: str, code: str, *, address: str, now: datetime) -> LoginResult:
        codes = self._require_codes()
        number = parse_mobile(phone)
        self._throttle.check(number, address, now=now)
        try:
            codes.verify(number, code, purpose=LOGIN_PURPOSE)
        except OneTimeCodeError:
            self._throttle.record_failure(number, address, now=now)
            raise
        person = self._accounts.by_phone(number)
        if person is None or not person.active:
            self._throttle.record_failure(number, address, now=now)
            raise LoginFailed("wrong username or password")
        if not person.phone_verified:
            person = self._accounts.set_phone(
                person.id, number, verified=True, now=now, actor=f"person:{person.id}"
            )
        return self._first_factor_done(person, ("sms",), number, address)

    # -- the TOTP second factor ---------------------------------------------------------------

    def second_factor(
        self, first: LoginResult, code: str, *, address: str, now: datetime
    ) -> LoginResult:
        """Check the authenticator-app code that completes ``first``."""
        self._throttle.check(first.login_name, address, now=now)
        secret = self._accounts.totp_secret(first.person.id)
        try:
            if secret is None:
                raise TOTPInvalid("no authenticator app is enrolled")
            self._totp.verify(secret, code, account=first.person.id, now=now)
        except TOTPInvalid:
            self._throttle.record_failure(first.login_name, address, now=now)
            raise
        self._throttle.record_success(first.login_name, address)
        return LoginResult(
            person=self._accounts.get(first.person.id),
            amr=(*first.amr, "otp", "mfa"),
            login_name=first.login_name,
        )

    # -- helpers --------------------------------------------------------------------------------

    def _first_factor_done(
        self, person: Person, amr: tuple[str, ...], name: str, address: str
    ) -> LoginResult:
        if person.totp_enrolled:
            # Failures are forgotten only once the second factor is right too.
            return LoginResult(person, amr, name, totp_due=True)
        self._throttle.record_success(name, address)
        return LoginResult(person, amr, name)

    def _require_codes(self) -> OneTimeCodes:
        if self._codes is None:
            raise SMSDisabled("SMS codes are not available on this service")
        return self._codes

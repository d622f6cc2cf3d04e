"""Authenticator errors: passwords, one-time codes, TOTP, throttling, the SMS gateway.

::

    AuthnError
    ├── PasswordRejected             a new password breaks the policy (400, shown)
    │   ├── PasswordTooShort
    │   ├── PasswordTooLong
    │   ├── PasswordCharacterInvalid control or unassigned characters
    │   ├── PasswordCommon           on the blocklist, or a blocklisted word plus affixes
    │   ├── PasswordRepetitive       repeated or sequential characters
    │   └── PasswordContainsContext  mostly the username, the name or the service name
    ├── OneTimeCodeError             an SMS code is not accepted (400, shown)
    │   ├── OneTimeCodeInvalid       wrong code; ``attempts_left`` says how many remain
    │   ├── OneTimeCodeExpired       no code pending: expired, used, or never sent
    │   └── OneTimeCodeAttemptsExceeded   too many wrong tries; the code is void
    ├── TOTPInvalid                  wrong authenticator-app code (400, shown)
    │   └── TOTPReplayed             a code already accepted once
    ├── RateLimited                  too many requests; ``retry_after`` seconds (429)
    │   └── LoginThrottled           too many failed logins for this account or address
    └── SMSUnavailable               the SMS gateway did not take the message (503)
"""

from __future__ import annotations

from config.errors import TongbanError


class AuthnError(TongbanError):
    code = "authn_error"


class PasswordRejected(AuthnError):
    code = "password_rejected"
    http_status = 400
    expose = True


class PasswordTooShort(PasswordRejected):
    code = "password_too_short"


class PasswordTooLong(PasswordRejected):
    code = "password_too_long"


class PasswordCharacterInvalid(PasswordRejected):
    code = "password_character_invalid"


class PasswordCommon(PasswordRejected):
    code = "password_common"


class PasswordRepetitive(PasswordRejected):
    code = "password_repetitive"


class PasswordContainsContext(PasswordRejected):
    code = "password_contains_context"


class OneTimeCodeError(AuthnError):
    code = "otp_error"
    http_status = 400
    expose = True


class OneTimeCodeInvalid(OneTimeCodeError):
    code = "otp_invalid"

    def __init__(self, message: str, *, attempts_left: int, detail: str | None = None) -> None:
        super().__init__(message, detail=detail)
        self.attempts_left = attempts_left


class OneTimeCodeExpired(OneTimeCodeError):
    code = "otp_expired"


class OneTimeCodeAttemptsExceeded(OneTimeCodeError):
    code = "otp_attempts_exceeded"


class TOTPInvalid(AuthnError):
    code = "totp_invalid"
    http_status = 400
    expose = True


class TOTPReplayed(TOTPInvalid):
    code = "totp_replayed"


class RateLimited(AuthnError):
    """Too many requests; the message and ``retry_after`` (seconds) say when to retry."""

    code = "rate_limited"
    http_status = 429
    expose = True

    def __init__(self, message: str, *, retry_after: int, detail: str | None = None) -> None:
        super().__init__(message, detail=detail)
        self.retry_after = retry_after


class LoginThrottled(RateLimited):
    code = "login_throttled"


class SMSUnavailable(AuthnError):
    """The gateway could not be reached or refused the message; ``retry_after`` seconds."""

    code = "sms_unavailable"
    http_status = 503
    expose = True

    def __init__(self, message: str, *, retry_after: int = 60, detail: str | None = None) -> None:
        super().__init__(message, detail=detail)
        self.retry_after = retry_after

"""Authenticators: password policy, SMS one-time codes, TOTP, login throttling."""

from idp.authn.errors import AuthnError
from idp.authn.errors import LoginThrottled
from idp.authn.errors import OneTimeCodeError
from idp.authn.errors import PasswordRejected
from idp.authn.errors import RateLimited
from idp.authn.errors import SMSUnavailable
from idp.authn.errors import TOTPInvalid
from idp.authn.otp import CodeSent
from idp.authn.otp import OneTimeCodes
from idp.authn.otp import OneTimeCodeSettings
from idp.authn.password_policy import PasswordPolicy
from idp.authn.password_policy import check_password
from idp.authn.password_policy import normalise_password
from idp.authn.sms import DevOutboxSMSGateway
from idp.authn.sms import HTTPSMSGateway
from idp.authn.sms import SMSGateway
from idp.authn.throttle import LoginThrottle
from idp.authn.throttle import ThrottleSettings
from idp.authn.throttle import verify_with_equal_work
from idp.authn.totp import TOTPVerifier
from idp.authn.totp import new_totp_secret
from idp.authn.totp import provisioning_uri

__all__ = [
    "AuthnError",
    "CodeSent",
    "DevOutboxSMSGateway",
    "HTTPSMSGateway",
    "LoginThrottle",
    "LoginThrottled",
    "OneTimeCodeError",
    "OneTimeCodeSettings",
    "OneTimeCodes",
    "PasswordPolicy",
    "PasswordRejected",
    "RateLimited",
    "SMSGateway",
    "SMSUnavailable",
    "TOTPInvalid",
    "TOTPVerifier",
    "ThrottleSettings",
    "check_password",
    "new_totp_secret",
    "normalise_password",
    "provisioning_uri",
    "verify_with_equal_work",
]

"""Authenticators: password policy, SMS one-time codes, TOTP, login throttling."""

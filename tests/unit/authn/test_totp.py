"""RFC 6238 TOTP with a one-step window and replay protection."""

from __future__ import annotations

import base64
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pyotp
import pytest

from idp.authn.errors import TOTPInvalid
from idp.authn.errors import TOTPReplayed
from idp.authn.totp import TOTPVerifier
from idp.authn.totp import new_totp_secret
from idp.authn.totp import provisioning_uri
from store.memory_ephemeral import MemoryEphemeralStore
from tests.unit.authn.clock import Clock

# RFC 6238 Appendix B: SHA-1 seed "12345678901234567890"; 8-digit values, of which an
# authenticator app's 6-digit code is the last six digits (RFC 4226 §5.3 truncation).
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()
RFC_VECTORS = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]


@pytest.mark.parametrize(("unix", "eight"), RFC_VECTORS)
def test_rfc6238_appendix_b(unix: int, eight: str) -> None:
    at = datetime.fromtimestamp(unix, UTC)
    assert pyotp.TOTP(RFC_SECRET, digits=8).at(at) == eight
    verifier = TOTPVerifier(MemoryEphemeralStore(clock=Clock(at)), b"k" * 32)
    verifier.verify(RFC_SECRET, eight[-6:], account="a", now=at)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def verifier(clock: Clock) -> TOTPVerifier:
    return TOTPVerifier(MemoryEphemeralStore(clock=clock), b"k" * 32)


def test_one_step_either_side_and_no_further(verifier: TOTPVerifier, clock: Clock) -> None:
    secret = new_totp_secret()
    totp = pyotp.TOTP(secret)
    for offset, accepted in ((-60, False), (-30, True), (30, True), (60, False)):
        code = totp.at(clock.now + timedelta(seconds=offset))
        if accepted:
            verifier.verify(secret, code, account=f"acct{offset}", now=clock.now)
        elif code != totp.at(clock.now):
            with pytest.raises(TOTPInvalid):
                verifier.verify(secret, code, account=f"acct{offset}", now=clock.now)


def test_a_code_is_accepted_once(verifier: TOTPVerifier, clock: Clock) -> None:
    secret = new_totp_secret()
    code = pyotp.TOTP(secret).at(clock.now)
    verifier.verify(secret, code, account="alice", now=clock.now)
    with pytest.raises(TOTPReplayed, match="already used"):
        verifier.verify(secret, code, account="alice", now=clock.now)
    clock.advance(29)
    with pytest.raises(TOTPReplayed):
        verifier.verify(secret, code, account="alice", now=clock.now + timedelta(seconds=25))
    # The same code is another account's business.
    verifier.verify(secret, code, account="bob", now=clock.now)


@pytest.mark.parametrize("code", ["", "12345", "abcdef", "1234567"])
def test_malformed_codes(verifier: TOTPVerifier, clock: Clock, code: str) -> None:
    with pytest.raises(TOTPInvalid) as info:
        verifier.verify(new_totp_secret(), code, account="a", now=clock.now)
    assert info.value.code == "totp_invalid"


def test_spaces_and_full_width_digits_are_tolerated(verifier: TOTPVerifier, clock: Clock) -> None:
    secret = new_totp_secret()
    code = pyotp.TOTP(secret).at(clock.now)
    typed = code[:3] + " " + "".join(chr(ord(c) + 0xFEE0) for c in code[3:])
    verifier.verify(secret, typed, account="a", now=clock.now)


def test_provisioning_uri() -> None:
    secret = new_totp_secret()
    assert len(secret) == 32
    uri = provisioning_uri(secret, account_name="zhangsan")
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    query = parse_qs(parts.query)
    assert query["secret"] == [secret]
    assert query["issuer"] == ["通办 Tongban"]

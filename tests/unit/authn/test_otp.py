"""One-time SMS codes: hashed, expiring, single use, bounded tries, rate-limited."""

from __future__ import annotations

import re
import threading

import pytest

from idp.authn.errors import OneTimeCodeAttemptsExceeded
from idp.authn.errors import OneTimeCodeExpired
from idp.authn.errors import OneTimeCodeInvalid
from idp.authn.errors import RateLimited
from idp.authn.errors import SMSUnavailable
from idp.authn.otp import OneTimeCodes
from idp.authn.otp import OneTimeCodeSettings
from idp.authn.sms import DevOutboxSMSGateway
from idp.identity.errors import PhoneInvalid
from store.memory_ephemeral import MemoryEphemeralStore
from tests.unit.authn.clock import Clock

PHONE = "13812345678"
SECRET = b"otp-secret-for-tests-32-bytes!!!"


class Harness:
    def __init__(self) -> None:
        self.clock = Clock()
        self.store = MemoryEphemeralStore(clock=self.clock)
        self.outbox = DevOutboxSMSGateway(self.store, clock=self.clock)
        self.codes = OneTimeCodes(self.store, self.outbox, SECRET)

    def send(self, phone: str = PHONE, address: str = "192.0.2.1", purpose: str = "login"):
        return self.codes.send(phone, address=address, purpose=purpose, now=self.clock.now)

    def last_code(self) -> str:
        match = re.search(r"\d{6}", self.outbox.messages(1)[0].text)
        assert match is not None
        return match.group(0)


@pytest.fixture
def h() -> Harness:
    return Harness()


def test_send_and_verify_once(h: Harness) -> None:
    sent = h.send()
    assert (sent.expires_at - h.clock.now).total_seconds() == 300
    assert (sent.resend_after - h.clock.now).total_seconds() == 60
    message = h.outbox.messages()[0]
    assert message.phone == PHONE
    assert message.text.startswith("【通办】")
    code = h.last_code()
    stored = b"".join(v for k, (v, _) in h.store._values.items() if k.startswith("otp:"))
    assert stored
    assert code.encode() not in stored
    h.codes.verify("+86 138 1234 5678", code, purpose="login")
    with pytest.raises(OneTimeCodeExpired, match="expired or was already used"):
        h.codes.verify(PHONE, code, purpose="login")


def test_code_expires_after_five_minutes(h: Harness) -> None:
    h.send()
    code = h.last_code()
    h.clock.advance(300)
    with pytest.raises(OneTimeCodeExpired):
        h.codes.verify(PHONE, code, purpose="login")


def test_code_is_bound_to_its_purpose_and_number(h: Harness) -> None:
    h.send(purpose="register")
    code = h.last_code()
    with pytest.raises(OneTimeCodeExpired):
        h.codes.verify(PHONE, code, purpose="login")
    with pytest.raises(OneTimeCodeExpired):
        h.codes.verify("13912345678", code, purpose="register")
    h.codes.verify(PHONE, code, purpose="register")


def test_wrong_codes_count_down_then_void_the_code(h: Harness) -> None:
    h.send()
    code = h.last_code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1):
        with pytest.raises(OneTimeCodeInvalid) as info:
            h.codes.verify(PHONE, wrong, purpose="login")
        assert info.value.attempts_left == left
    with pytest.raises(OneTimeCodeAttemptsExceeded):
        h.codes.verify(PHONE, wrong, purpose="login")
    with pytest.raises(OneTimeCodeExpired):
        h.codes.verify(PHONE, code, purpose="login")


def test_a_new_code_replaces_the_old_one(h: Harness) -> None:
    h.send()
    first = h.last_code()
    h.clock.advance(60)
    h.send()
    second = h.last_code()
    if first != second:
        with pytest.raises(OneTimeCodeInvalid):
            h.codes.verify(PHONE, first, purpose="login")
    h.codes.verify(PHONE, second, purpose="login")


def test_full_width_code_is_accepted(h: Harness) -> None:
    h.send()
    code = h.last_code()
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code)
    h.codes.verify(PHONE, full_width, purpose="login")


def test_send_limits_per_phone_and_per_address(h: Harness) -> None:
    h.send()
    with pytest.raises(RateLimited, match="try again in 1 minute"):
        h.send()
    for _ in range(4):
        h.clock.advance(60)
        h.send()
    h.clock.advance(60)
    with pytest.raises(RateLimited, match="minutes"):
        h.send()
    # Another number from the same address: 20 an hour per address.
    for i in range(15):  # 5 + 15 = 20 sent from this address
        h.send(phone=f"139{i:08d}")
    with pytest.raises(RateLimited, match="from your network"):
        h.send(phone="13700000000")
    h.send(phone="13700000000", address="198.51.100.7")


def test_concurrent_checks_accept_the_code_once(h: Harness) -> None:
    h.codes = OneTimeCodes(h.store, h.outbox, SECRET, OneTimeCodeSettings(max_attempts=10))
    h.send()
    code = h.last_code()
    results: list[str] = []

    def check() -> None:
        try:
            h.codes.verify(PHONE, code, purpose="login")
            results.append("ok")
        except OneTimeCodeExpired:
            results.append("used")

    threads = [threading.Thread(target=check) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ok"] + ["used"] * 7


def test_gateway_failure_forgets_the_code_and_the_cooldown(h: Harness) -> None:
    class Down:
        def send(self, phone: str, text: str) -> str:
            raise SMSUnavailable("the text message could not be sent")

    codes = OneTimeCodes(h.store, Down(), SECRET)
    with pytest.raises(SMSUnavailable):
        codes.send(PHONE, address="192.0.2.1", purpose="login", now=h.clock.now)
    with pytest.raises(OneTimeCodeExpired):
        codes.verify(PHONE, "000000", purpose="login")
    h.send()  # No one-minute cooldown left behind.


def test_bad_input(h: Harness) -> None:
    with pytest.raises(PhoneInvalid):
        h.send(phone="12345")
    with pytest.raises(ValueError, match="purpose"):
        h.send(purpose="Log In")
    with pytest.raises(ValueError, match="16 bytes"):
        OneTimeCodes(h.store, h.outbox, b"short")

"""The HTTP SMS adapter against a fake provider over real loopback HTTP, and the outbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from idp.authn.errors import SMSUnavailable
from idp.authn.sms import DevOutboxSMSGateway
from idp.authn.sms import HTTPSMSGateway
from idp.authn.sms import SMSGateway
from store.memory_ephemeral import MemoryEphemeralStore
from tests.fakes.signed_service import serving
from tests.fakes.sms_gateway import ACCOUNT
from tests.fakes.sms_gateway import SECRET
from tests.fakes.sms_gateway import FakeSMSGateway
from tests.unit.authn.clock import Clock

PHONE = "13812345678"


@pytest.fixture(scope="module")
def provider() -> Iterator[FakeSMSGateway]:
    fake = FakeSMSGateway()
    with serving(fake):
        yield fake


@pytest.fixture
def sleeps() -> list[float]:
    return []


def gateway(provider: FakeSMSGateway, sleeps: list[float], **kwargs) -> HTTPSMSGateway:
    options = {"timeout": 2.0, "retries": 2, "sleep": sleeps.append, **kwargs}
    secret = options.pop("secret", SECRET)
    return HTTPSMSGateway(provider.base_url + "/v1/messages", ACCOUNT, secret, **options)


def test_adapters_implement_the_port(provider: FakeSMSGateway) -> None:
    assert isinstance(gateway(provider, []), SMSGateway)
    assert isinstance(DevOutboxSMSGateway(MemoryEphemeralStore()), SMSGateway)


def test_sends_a_signed_message(provider: FakeSMSGateway, sleeps: list[float]) -> None:
    message_id = gateway(provider, sleeps).send(PHONE, "【通办】您的验证码是 123456")
    assert provider.sent[-1] == {
        "message_id": message_id,
        "phone": PHONE,
        "text": "【通办】您的验证码是 123456",
    }
    assert sleeps == []


def test_retries_5xx_with_backoff_keeping_the_message_id(
    provider: FakeSMSGateway, sleeps: list[float]
) -> None:
    provider.fail_next(2, status=502)
    before = len(provider.sent)
    gateway(provider, sleeps).send(PHONE, "retried text")
    assert sleeps == [0.25, 0.5]
    assert len(provider.sent) == before + 1


def test_gives_up_after_the_retries(provider: FakeSMSGateway, sleeps: list[float]) -> None:
    provider.fail_next(3, status=503, headers={"Retry-After": "120"})
    with pytest.raises(SMSUnavailable, match="try again later") as info:
        gateway(provider, sleeps).send(PHONE, "never sent")
    assert info.value.retry_after == 120
    assert info.value.http_status == 503
    assert "HTTP 503" in (info.value.detail or "")
    assert len(sleeps) == 2


def test_timeouts_are_retried_then_reported(provider: FakeSMSGateway, sleeps: list[float]) -> None:
    provider.fail_next(2, delay=0.6)
    with pytest.raises(SMSUnavailable) as info:
        gateway(provider, sleeps, timeout=0.15, retries=1).send(PHONE, "slow")
    assert "timed out" in (info.value.detail or "")
    assert sleeps == [0.25]


def test_a_4xx_is_not_retried(provider: FakeSMSGateway, sleeps: list[float]) -> None:
    with pytest.raises(SMSUnavailable) as info:
        gateway(provider, sleeps, secret=b"wrong-secret-wrong-secret").send(PHONE, "x")
    assert "HTTP 401" in (info.value.detail or "")
    assert provider.refused[-1] == "bad signature"
    assert sleeps == []


def test_nothing_listens(sleeps: list[float]) -> None:
    from tests.conftest import free_port

    adapter = HTTPSMSGateway(
        f"http://127.0.0.1:{free_port()}/v1/messages",
        ACCOUNT,
        SECRET,
        retries=1,
        sleep=sleeps.append,
    )
    with pytest.raises(SMSUnavailable) as info:
        adapter.send(PHONE, "x")
    assert "ConnectError" in (info.value.detail or "")


@pytest.mark.parametrize(
    ("phone", "text"), [("+8613812345678", "x"), (PHONE, ""), (PHONE, "x" * 301)]
)
def test_programming_errors(provider: FakeSMSGateway, phone: str, text: str) -> None:
    with pytest.raises(ValueError, match="must be"):
        gateway(provider, []).send(phone, text)


def test_outbox_keeps_messages_for_a_day_newest_first() -> None:
    clock = Clock()
    store = MemoryEphemeralStore(clock=clock)
    outbox = DevOutboxSMSGateway(store, clock=clock)
    first = outbox.send(PHONE, "one")
    clock.advance(3600)
    outbox.send("13912345678", "two")
    listed = outbox.messages()
    assert [m.text for m in listed] == ["two", "one"]
    assert listed[1].message_id == first
    assert listed[1].sent_at == Clock().now
    clock.advance(23 * 3600)
    assert [m.text for m in outbox.messages()] == ["two"]
    assert [m.text for m in DevOutboxSMSGateway(store, clock=clock).messages(limit=1)] == ["two"]

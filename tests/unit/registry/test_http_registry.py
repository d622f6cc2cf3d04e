"""The http registry adapter against the fake national registry over loopback HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from idp.identity.documents import parse_document
from idp.identity.uscc import parse_credit_code
from idp.registry.errors import RegistryRequestRefused
from idp.registry.errors import RegistryUnavailable
from idp.registry.http import HTTPRegistry
from idp.registry.port import EntityStatus
from idp.registry.port import Outcome
from idp.registry.port import RealNameRegistry
from idp.registry.port import normalise_name
from idp.registry.port import same_name
from tests.fakes.registry_server import CLIENT
from tests.fakes.registry_server import SECRET
from tests.fakes.registry_server import FakeRegistry
from tests.fakes.signed_service import serving

TODAY = date(2026, 11, 27)
ID = "11010519491231002X"
USCC = "91350100M000100Y43"
OTHER_ID = "110105194912310038"


@pytest.fixture(scope="module")
def national() -> Iterator[FakeRegistry]:
    fake = FakeRegistry()
    fake.persons[("resident_id", ID)] = "张三"
    fake.persons[("passport", "E12345678")] = "买买提·艾力"
    fake.entities[USCC] = {
        "name": "福州某某科技有限公司",
        "legal_representative": "张三",
        "status": "active",
    }
    fake.entities["91330100716105852F"] = {
        "name": "杭州某某",
        "legal_representative": "李四",
        "status": "revoked",
    }
    with serving(fake):
        yield fake


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def registry(national: FakeRegistry, sleeps: list[float]) -> Iterator[HTTPRegistry]:
    national.faults.clear()
    national.override = None
    adapter = HTTPRegistry(
        national.base_url + "/api", CLIENT, SECRET, timeout=2, sleep=sleeps.append
    )
    yield adapter
    adapter.close()


def doc(number: str = ID, kind: str = "resident_id"):
    return parse_document(kind, number, today=TODAY)


def test_implements_the_port(registry: HTTPRegistry) -> None:
    assert isinstance(registry, RealNameRegistry)


@pytest.mark.parametrize(
    ("name", "document", "outcome"),
    [
        ("张三", doc(), Outcome.MATCH),
        (" 张 三 ", doc(), Outcome.NAME_MISMATCH),
        ("李四", doc(), Outcome.NAME_MISMATCH),
        ("张三", doc(OTHER_ID), Outcome.NOT_FOUND),
        ("买买提・艾力", doc("E12345678", "passport"), Outcome.MATCH),
    ],
)
def test_verify_person(registry: HTTPRegistry, name: str, document, outcome: Outcome) -> None:
    verdict = registry.verify_person(name, document)
    assert verdict.outcome is outcome
    assert verdict.matched is (outcome is Outcome.MATCH)
    assert verdict.registry == "http"
    assert verdict.reference is not None
    assert verdict.reference.startswith("RNV-")


@pytest.mark.parametrize(
    ("code", "name", "rep", "outcome", "status"),
    [
        (USCC, "福州某某科技有限公司", "张三", Outcome.MATCH, EntityStatus.ACTIVE),
        (USCC, "福州某某", "张三", Outcome.NAME_MISMATCH, EntityStatus.ACTIVE),
        (
            USCC,
            "福州某某科技有限公司",
            "王五",
            Outcome.REPRESENTATIVE_MISMATCH,
            EntityStatus.ACTIVE,
        ),
        ("91330100716105852F", "杭州某某", "李四", Outcome.INACTIVE, EntityStatus.REVOKED),
        ("91110000802100433B", "x", "y", Outcome.NOT_FOUND, None),
    ],
)
def test_verify_entity(registry: HTTPRegistry, code, name, rep, outcome, status) -> None:
    verdict = registry.verify_entity(parse_credit_code(code), name, rep)
    assert (verdict.outcome, verdict.entity_status) == (outcome, status)


def test_requests_are_signed_and_carry_normalised_names(
    registry: HTTPRegistry, national: FakeRegistry
) -> None:
    registry.verify_person("买买提•艾力", doc("E12345678", "passport"))
    last = national.requests[-1]
    assert last["path"] == "/api/v1/persons/verify"
    assert last["payload"] == {
        "name": "买买提·艾力",
        "document": {"type": "passport", "number": "E12345678"},
    }


def test_5xx_is_retried(registry: HTTPRegistry, national: FakeRegistry, sleeps) -> None:
    national.fail_next(1, status=500)
    assert registry.verify_person("张三", doc()).matched
    assert sleeps == [0.25]


def test_down_registry_says_retry(registry: HTTPRegistry, national: FakeRegistry, sleeps) -> None:
    national.fail_next(2, status=503, headers={"Retry-After": "45"})
    with pytest.raises(RegistryUnavailable, match="try again") as info:
        registry.verify_person("张三", doc())
    assert info.value.retry_after == 45
    assert (info.value.http_status, info.value.expose) == (503, True)


def test_timeout(national: FakeRegistry, sleeps) -> None:
    national.fail_next(2, delay=0.5)
    adapter = HTTPRegistry(national.base_url, CLIENT, SECRET, timeout=0.1, sleep=sleeps.append)
    with pytest.raises(RegistryUnavailable) as info:
        adapter.verify_person("张三", doc())
    assert "timed out" in (info.value.detail or "")
    assert sleeps == [0.25]


def test_rate_limited_is_not_retried(
    registry: HTTPRegistry, national: FakeRegistry, sleeps
) -> None:
    national.fail_next(1, status=429)
    with pytest.raises(RegistryUnavailable) as info:
        registry.verify_person("张三", doc())
    assert info.value.retry_after == 60
    assert sleeps == []


def test_wrong_secret_is_refused_without_retry(national: FakeRegistry, sleeps) -> None:
    adapter = HTTPRegistry(national.base_url, CLIENT, b"not-the-secret", sleep=sleeps.append)
    with pytest.raises(RegistryRequestRefused, match="check registry"):
        adapter.verify_person("张三", doc())
    assert national.refused[-1] == "bad signature"
    assert sleeps == []


@pytest.mark.parametrize(
    "answer",
    [
        {"result": "perhaps"},
        {"result": "representative_mismatch"},
        {"result": "inactive", "status": "active"},
        {"result": "match", "status": "revoked"},
        {"result": "match", "status": "sleeping"},
    ],
)
def test_answers_that_break_the_contract(
    registry: HTTPRegistry, national: FakeRegistry, answer
) -> None:
    national.override = answer
    if answer["result"] == "representative_mismatch":
        call = lambda: registry.verify_person("张三", doc())  # noqa: E731
    else:
        call = lambda: registry.verify_entity(parse_credit_code(USCC), "福州某某", "张三")  # noqa: E731
    with pytest.raises(RegistryUnavailable) as info:
        call()
    assert "breaks the contract" in (info.value.detail or "")


def test_name_normalisation() -> None:
    assert normalise_name("  买买提 • 艾力 ") == "买买提 · 艾力"
    assert normalise_name("ＪＯＨＮ\u3000SMITH") == "JOHN SMITH"
    assert same_name("John Smith", "JOHN  SMITH")
    assert not same_name("张三", "张 三")

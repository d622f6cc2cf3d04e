"""The federation mapping rules that need no database: reading the upstream's claims,
the level of a federated login, and its amr."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from config.settings import FederationSettings
from idp.acr import acr_for
from idp.errors import FederationIncomplete
from idp.federation import identity_from_claims
from idp.federation import login_amr
from idp.federation import session_level

TODAY = date(2026, 12, 1)
ID = "11010519491231002X"
SETTINGS = FederationSettings(issuer="https://up.example", client_id="c", client_secret="s")


def claims(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "iss": "https://up.example",
        "sub": "u-1",
        "acr": "urn:tongban:loa:2",
        "amr": ["pwd"],
        "legal_name": "张三",
        "id_number": ID,
        "phone_number": "+86 138 1234 5678",
        "phone_number_verified": True,
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def test_a_verified_upstream_identity() -> None:
    identity = identity_from_claims(claims(), SETTINGS, today=TODAY)
    assert (identity.issuer, identity.subject, identity.level) == ("https://up.example", "u-1", 2)
    assert identity.name == "张三"
    assert identity.document is not None
    assert identity.document.number == ID
    assert (identity.phone, identity.phone_verified) == ("13812345678", True)


@pytest.mark.parametrize(
    ("acr", "max_level", "level"),
    [
        ("urn:tongban:loa:1", 2, 1),
        ("urn:tongban:loa:2", 2, 2),
        ("urn:tongban:loa:3", 2, 2),  # capped
        ("urn:tongban:loa:3", 3, 3),
        ("urn:tongban:loa:2", 1, 1),
        ("urn:unknown", 3, 1),  # not in the mapping: self-asserted
        (None, 3, 1),
        (["urn:tongban:loa:3"], 3, 1),  # not a string
    ],
)
def test_the_level_is_mapped_then_capped(acr: Any, max_level: int, level: int) -> None:
    settings = FederationSettings(issuer="https://up.example", max_level=max_level)
    assert identity_from_claims(claims(acr=acr), settings, today=TODAY).level == level


def test_an_operator_mapping_for_another_platform() -> None:
    settings = FederationSettings(
        issuer="https://up.example", acr_levels="gjzwfw:L1=1 gjzwfw:L2=2 gjzwfw:L3=3", max_level=3
    )
    assert identity_from_claims(claims(acr="gjzwfw:L3"), settings, today=TODAY).level == 3
    assert identity_from_claims(claims(acr="urn:tongban:loa:2"), settings, today=TODAY).level == 1


def test_an_id_number_counts_only_at_level_2_or_more() -> None:
    low = identity_from_claims(claims(acr="urn:tongban:loa:1"), SETTINGS, today=TODAY)
    assert low.document is None


def test_an_invalid_id_number_is_refused_at_level_2() -> None:
    with pytest.raises(FederationIncomplete):
        identity_from_claims(claims(id_number="110105194912310021"), SETTINGS, today=TODAY)
    # Below level 2 it is not read at all.
    identity_from_claims(
        claims(id_number="110105194912310021", acr="urn:tongban:loa:1"), SETTINGS, today=TODAY
    )


def test_claim_names_come_from_the_settings() -> None:
    settings = FederationSettings(
        issuer="https://up.example", name_claim="xm", id_number_claim="zjhm", phone_claim="sjh"
    )
    identity = identity_from_claims(
        claims(xm="李四", zjhm=ID, sjh="13900001111", legal_name=None, id_number=None),
        settings,
        today=TODAY,
    )
    assert identity.name == "李四"
    assert identity.document is not None
    assert identity.phone == "13900001111"


def test_name_falls_back_to_name_and_bad_values_are_dropped() -> None:
    assert (
        identity_from_claims(claims(legal_name=None, name="王五"), SETTINGS, today=TODAY).name
        == "王五"
    )
    identity = identity_from_claims(
        claims(legal_name="", name=None, phone_number="+1 555 0100"), SETTINGS, today=TODAY
    )
    assert identity.name is None
    assert identity.phone is None


def test_only_registered_amr_values_pass() -> None:
    identity = identity_from_claims(
        claims(amr=["pwd", "sms", "magic", "pwd", 7]), SETTINGS, today=TODAY
    )
    assert identity.amr == ("pwd", "sms")


@pytest.mark.parametrize(
    ("upstream", "account", "level"),
    [(1, 1, 1), (2, 1, 1), (2, 2, 2), (1, 2, 1), (3, 2, 3), (3, 1, 1)],
)
def test_the_login_level_never_exceeds_the_account(upstream: int, account: int, level: int) -> None:
    assert session_level(upstream, account) == level


def test_strong_upstream_methods_count_only_at_level_3() -> None:
    assert login_amr(3, ("hwk", "mfa")) == ("fed", "hwk", "mfa")
    assert login_amr(2, ("hwk", "mfa")) == ("fed", "mfa")
    # So a later real-name step-up (acr_for over the session's amr) stays at level 2.
    assert acr_for(2, login_amr(2, ("hwk", "x509", "pwd"))) == "urn:tongban:loa:2"
    assert acr_for(2, ("fed",)) == "urn:tongban:loa:2"
    assert acr_for(1, ("fed",)) == "urn:tongban:loa:1"

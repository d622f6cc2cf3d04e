"""Licence type definitions: the shipped examples, and definitions that must be refused."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from typing import Any

import pytest

from licences.licence_types import example_types
from licences.licence_types import parse_licence_type
from licences.service_errors import LicenceDataInvalid
from licences.service_errors import LicenceTypeInvalid


def business() -> dict[str, Any]:
    return dict(next(t for t in example_types() if t.id == "business_licence").definition)


def test_the_examples_parse() -> None:
    types = {t.id: t for t in example_types()}
    assert set(types) == {"business_licence", "food_business_permit"}
    licence = types["business_licence"]
    assert licence.code == "YYZZ"
    assert [f.path for f in licence.verify_fields][:2] == ["company_type", "legal_representative"]
    assert types["food_business_permit"].validity.years == 5


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"id": "Bad Id"}, "id"),
        ({"code": "yy"}, "code"),
        ({"departments": []}, "departments"),
        ({"holder": "robot"}, "holder"),
        ({"schema": {"type": "array"}}, "schema"),
        ({"schema": {"type": "object", "properties": {"a": {"type": 7}}}}, "schema"),
        (
            {"fields": [{"path": "nowhere", "label": {"zh-CN": "无", "en": "No"}}]},
            "not in the schema",
        ),
        ({"validity": {"years": 0}}, "years"),
        ({"layout": {"qr_mm": 20}}, "qr_mm"),
        ({"surprise": 1}, "unknown member"),
    ],
)
def test_bad_definitions_are_refused_by_name(change: dict[str, Any], message: str) -> None:
    with pytest.raises(LicenceTypeInvalid, match=message):
        parse_licence_type({**business(), **change})


def test_open_ended_validity_and_dates_in_china_time() -> None:
    licence = parse_licence_type(business())
    issued = datetime(2026, 3, 2, tzinfo=UTC)
    data = {"business_term": {"from": "2019-03-15", "to": "长期"}}
    start, end = licence.validity.period(data, issued)
    assert start == datetime(2019, 3, 14, 16, 0, tzinfo=UTC)
    assert end is None
    with pytest.raises(LicenceDataInvalid, match="ends before"):
        licence.validity.period(
            {"business_term": {"from": "2020-01-02", "to": "2020-01-01"}}, issued
        )
    with pytest.raises(LicenceDataInvalid, match=r"business_term\.from"):
        licence.validity.period({"business_term": {"from": "soon", "to": "长期"}}, issued)

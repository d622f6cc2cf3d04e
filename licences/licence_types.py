"""Licence types: what a licence holds, who may issue it, how long it runs, how it is printed.

A type is a JSON document (two examples ship in ``licences/examples/``)::

    {
      "id": "business_licence",                  [a-z][a-z0-9_]{1,63}
      "code": "YYZZ",                            2-8 capitals: the prefix of licence ids
      "name": {"zh-CN": "营业执照", "en": "Business licence"},
      "holder": "entity",                        entity (credit code) | person | any
      "departments": ["scjgj"],                  departments that may issue it
      "validity": {"from": "term.from", "to": "term.to"}     dates read from the data
               | {"years": 5},                   or N years from the day of issue
      "schema": {…},                             JSON Schema (2020-12) of the licence data
      "fields": [                                in printed order
        {"path": "address", "label": {"zh-CN": "住所", "en": "Address"},
         "printed": true,                        on the PDF
         "verify": true}                         on the verify page a QR scan opens
      ],
      "layout": {"title": "营业执照", "subtitle": "（副本）", "orientation": "landscape",
                 "qr_mm": 32}
    }

The QR code itself always carries the same claims, fixed by the format
(``docs/licence-qr-format.md``): licence id, holder code and name, validity, the record
digest and the status-list position. ``verify`` marks which further fields a scan shows
(from the server, after the signature verified); everything else stays with the holder
and with departments the holder consents to share it with.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from datetime import timezone
from functools import cached_property
from importlib import resources
from typing import Any
from typing import Final
from typing import Literal

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from licences.service_errors import LicenceDataInvalid
from licences.service_errors import LicenceTypeInvalid

__all__ = [
    "CHINA_TIME",
    "Field",
    "LicenceType",
    "Validity",
    "example_types",
    "parse_licence_type",
]

#: Licence dates are calendar days in China Standard Time (UTC+8).
CHINA_TIME: Final = timezone(timedelta(hours=8), "CST")
TYPE_ID: Final = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
TYPE_CODE: Final = re.compile(r"^[A-Z]{2,8}$")
_OPEN_ENDED: Final = frozenset({"长期", "永久", "long-term", ""})
HolderKind = Literal["entity", "person", "any"]


@dataclass(frozen=True)
class Field:
    """One field of the licence data, as printed and shown."""

    path: str
    label_zh: str
    label_en: str
    printed: bool
    verify: bool

    def value_in(self, data: Mapping[str, Any]) -> Any:
        """The value at ``path`` (dots separate levels), or ``None``."""
        value: Any = data
        for part in self.path.split("."):
            if not isinstance(value, Mapping) or part not in value:
                return None
            value = value[part]
        return value

    def label(self, locale: str) -> str:
        return self.label_zh if locale == "zh-CN" else self.label_en


@dataclass(frozen=True)
class Validity:
    """How a licence's validity period follows from its data and day of issue."""

    from_path: str | None = None
    to_path: str | None = None
    years: int | None = None

    def period(self, data: Mapping[str, Any], issued: datetime) -> tuple[datetime, datetime | None]:
        """``(not_before, not_after)`` in UTC; ``not_after`` is ``None`` for 长期."""
        if self.years is not None:
            first = issued.astimezone(CHINA_TIME).date()
            try:
                end = first.replace(year=first.year + self.years)
            except ValueError:  # 29 February.
                end = first.replace(year=first.year + self.years, day=28)
            return _start_of(first), _end_of(end - timedelta(days=1))
        assert self.from_path is not None  # noqa: S101 - parse_licence_type ensures it.
        first_text = Field(self.from_path, "", "", False, False).value_in(data)
        first = _date(first_text, self.from_path)
        last_text = (
            Field(self.to_path, "", "", False, False).value_in(data) if self.to_path else None
        )
        if last_text is None or (isinstance(last_text, str) and last_text in _OPEN_ENDED):
            return _start_of(first), None
        last = _date(last_text, self.to_path or "")
        if last < first:
            raise LicenceDataInvalid(f"{self.to_path}: the validity ends before it begins")
        return _start_of(first), _end_of(last)


def _date(value: object, path: str) -> date:
    if not isinstance(value, str):
        raise LicenceDataInvalid(f"{path}: a date YYYY-MM-DD is required")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise LicenceDataInvalid(f"{path}: {value!r} is not a date YYYY-MM-DD") from None


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0, 0, 0), CHINA_TIME).astimezone(UTC)


def _end_of(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), CHINA_TIME).astimezone(UTC)


@dataclass(frozen=True)
class LicenceType:
    """A parsed, checked licence type; ``definition`` is the JSON it came from."""

    id: str
    code: str
    name_zh: str
    name_en: str
    holder: HolderKind
    departments: tuple[str, ...]
    validity: Validity
    fields: tuple[Field, ...]
    layout: Mapping[str, Any]
    definition: Mapping[str, Any]

    def name(self, locale: str) -> str:
        return self.name_zh if locale == "zh-CN" else self.name_en

    @cached_property
    def _validator(self) -> Draft202012Validator:
        return Draft202012Validator(self.definition["schema"])

    def check_data(self, data: object) -> dict[str, Any]:
        """Validate licence data against the schema; a deep copy is returned.

        :raises LicenceDataInvalid: naming the first offending field.
        """
        if not isinstance(data, Mapping):
            raise LicenceDataInvalid("the licence data must be a JSON object")
        errors = sorted(self._validator.iter_errors(data), key=lambda e: list(e.absolute_path))
        if errors:
            error = errors[0]
            where = ".".join(str(p) for p in error.absolute_path) or "$"
            raise LicenceDataInvalid(f"{where}: {error.message}")
        _check_no_floats(data, "$")
        return copy.deepcopy(dict(data))

    def may_be_issued_by(self, department_id: str) -> bool:
        return department_id in self.departments

    def accepts_holder(self, kind: str) -> bool:
        return self.holder == "any" or self.holder == kind

    @property
    def printed_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.printed)

    @property
    def verify_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.verify)

    def summary(self) -> dict[str, Any]:
        """What ``licence-type list`` and the API show."""
        return {
            "id": self.id,
            "code": self.code,
            "name": {"zh-CN": self.name_zh, "en": self.name_en},
            "holder": self.holder,
            "departments": list(self.departments),
        }


def _check_no_floats(value: object, where: str) -> None:
    """Record digests hash deterministic CBOR without floats (docs/licence-qr-format.md §6)."""
    if isinstance(value, float):
        raise LicenceDataInvalid(f"{where}: write numbers with decimals as text")
    if isinstance(value, Mapping):
        for key, item in value.items():
            _check_no_floats(item, f"{where}.{key}" if where != "$" else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_no_floats(item, f"{where}[{index}]")


def _text(definition: Mapping[str, Any], key: str, pattern: re.Pattern[str] | None = None) -> str:
    value = definition.get(key)
    if not isinstance(value, str) or not value.strip():
        raise LicenceTypeInvalid(f"{key} must be a non-empty string")
    if pattern is not None and not pattern.match(value):
        raise LicenceTypeInvalid(f"{key} {value!r} must match {pattern.pattern}")
    return value


def _names(value: object, where: str) -> tuple[str, str]:
    if not isinstance(value, Mapping):
        raise LicenceTypeInvalid(f"{where} must be an object with zh-CN and en")
    zh, en = value.get("zh-CN"), value.get("en")
    if not isinstance(zh, str) or not zh or not isinstance(en, str) or not en:
        raise LicenceTypeInvalid(f"{where} needs non-empty zh-CN and en texts")
    return zh, en


def parse_licence_type(definition: object) -> LicenceType:
    """Check a type definition (see the module docstring) and build the :class:`LicenceType`.

    :raises LicenceTypeInvalid: naming the first member that is wrong.
    """
    if not isinstance(definition, Mapping):
        raise LicenceTypeInvalid("a licence type is a JSON object")
    known = {"id", "code", "name", "holder", "departments", "validity", "schema", "fields"}
    known |= {"layout", "description"}
    if unknown := sorted(set(definition) - known):
        raise LicenceTypeInvalid(f"unknown member {unknown[0]!r}")
    type_id = _text(definition, "id", TYPE_ID)
    code = _text(definition, "code", TYPE_CODE)
    name_zh, name_en = _names(definition.get("name"), "name")
    holder = definition.get("holder", "entity")
    if holder not in ("entity", "person", "any"):
        raise LicenceTypeInvalid("holder must be entity, person or any")
    departments = definition.get("departments")
    if (
        not isinstance(departments, list)
        or not departments
        or not all(isinstance(d, str) and d for d in departments)
    ):
        raise LicenceTypeInvalid("departments must list the issuing department ids")
    schema = definition.get("schema")
    if not isinstance(schema, Mapping) or schema.get("type") != "object":
        raise LicenceTypeInvalid("schema must be a JSON Schema of type object")
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise LicenceTypeInvalid(f"schema: {exc.message}") from None
    fields = _fields(definition.get("fields"), schema)
    validity = _validity(definition.get("validity"))
    layout = definition.get("layout", {})
    if not isinstance(layout, Mapping):
        raise LicenceTypeInvalid("layout must be an object")
    qr_mm = layout.get("qr_mm", 32)
    if not isinstance(qr_mm, int | float) or isinstance(qr_mm, bool) or not 30 <= qr_mm <= 60:
        raise LicenceTypeInvalid("layout.qr_mm must be between 30 and 60 (print size in mm)")
    if layout.get("orientation", "landscape") not in ("landscape", "portrait"):
        raise LicenceTypeInvalid("layout.orientation must be landscape or portrait")
    return LicenceType(
        id=type_id,
        code=code,
        name_zh=name_zh,
        name_en=name_en,
        holder=holder,
        departments=tuple(departments),
        validity=validity,
        fields=fields,
        layout=dict(layout),
        definition=json.loads(json.dumps(definition, ensure_ascii=False)),
    )


def _fields(value: object, schema: Mapping[str, Any]) -> tuple[Field, ...]:
    if not isinstance(value, list) or not value:
        raise LicenceTypeInvalid("fields must list the licence's fields")
    fields = []
    for index, item in enumerate(value):
        where = f"fields[{index}]"
        if not isinstance(item, Mapping) or not isinstance(item.get("path"), str):
            raise LicenceTypeInvalid(f"{where} needs a path")
        path = item["path"]
        node: Any = schema
        for part in path.split("."):
            properties = node.get("properties") if isinstance(node, Mapping) else None
            if not isinstance(properties, Mapping) or part not in properties:
                raise LicenceTypeInvalid(f"{where}: {path!r} is not in the schema")
            node = properties[part]
        zh, en = _names(item.get("label"), f"{where}.label")
        fields.append(
            Field(path, zh, en, bool(item.get("printed", True)), bool(item.get("verify", False)))
        )
    return tuple(fields)


def _validity(value: object) -> Validity:
    if not isinstance(value, Mapping):
        raise LicenceTypeInvalid("validity must be {'from': path, 'to': path} or {'years': n}")
    if "years" in value:
        years = value["years"]
        if type(years) is not int or not 1 <= years <= 100:
            raise LicenceTypeInvalid("validity.years must be an integer from 1 to 100")
        return Validity(years=years)
    start, end = value.get("from"), value.get("to")
    if not isinstance(start, str) or (end is not None and not isinstance(end, str)):
        raise LicenceTypeInvalid("validity needs 'from' (and optionally 'to') data paths")
    return Validity(from_path=start, to_path=end)


def example_types() -> list[LicenceType]:
    """The licence types shipped in ``licences/examples``."""
    folder = resources.files("licences") / "examples"
    return [
        parse_licence_type(json.loads(entry.read_text(encoding="utf-8")))
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".json")
    ]

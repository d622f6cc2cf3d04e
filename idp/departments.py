"""Departments (部门): every client belongs to one, and later seals and licence types."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select

from audit.trail import record as audit_record
from idp.errors import Conflict
from idp.errors import DepartmentNotFound
from idp.errors import InvalidInput
from idp.models import Department
from store.db import Database

CODE_PATTERN: Final = re.compile(r"^[a-z][a-z0-9-]{1,31}$")


@dataclass(frozen=True)
class DepartmentInfo:
    id: str
    name: str
    name_en: str | None
    created_at: datetime


def add_department(
    db: Database, code: str, name: str, *, name_en: str | None, now: datetime, actor: str
) -> DepartmentInfo:
    if not CODE_PATTERN.match(code):
        raise InvalidInput(
            f"department code {code!r} must be 2-32 lower-case letters, digits or '-', "
            "starting with a letter (e.g. scjgj)"
        )
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("department name must be 1 to 200 characters")
    with db.transaction() as session:
        if session.get(Department, code) is not None:
            raise Conflict(f"department {code!r} exists already")
        rec = Department(id=code, name=name, name_en=(name_en or None), created_at=now)
        session.add(rec)
        audit_record(
            session,
            actor=actor,
            action="department.add",
            target=f"department:{code}",
            now=now,
            details={"name": name},
        )
        return _info(rec)


def get_department(db: Database, code: str) -> DepartmentInfo:
    with db.transaction() as session:
        rec = session.get(Department, code)
        if rec is None:
            raise DepartmentNotFound(f"no department {code!r}")
        return _info(rec)


def list_departments(db: Database) -> list[DepartmentInfo]:
    with db.transaction() as session:
        return [
            _info(r) for r in session.execute(select(Department).order_by(Department.id)).scalars()
        ]


def _info(rec: Department) -> DepartmentInfo:
    return DepartmentInfo(rec.id, rec.name, rec.name_en, rec.created_at)

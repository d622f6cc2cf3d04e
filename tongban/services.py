"""Domain services the composition root builds from the runtime, wired to one another."""

from __future__ import annotations

from collections.abc import Callable

from idp.departments import get_department
from idp.errors import DepartmentNotFound
from idp.webkit import browser_session
from signing.seals import DepartmentNames
from signing.service import SigningService
from store.db import Database
from tongban.runtime import Runtime


def department_names(db: Database) -> DepartmentNames:
    """Department code → name, from the identity provider's department registry."""

    def lookup(code: str) -> str | None:
        try:
            return get_department(db, code).name
        except DepartmentNotFound:
            return None

    return lookup


def current_person() -> Callable[[], str | None]:
    """The person logged in to the requesting browser, from the identity provider's
    session cookie: what guards an applicant's download of their approvals."""

    def person() -> str | None:
        found = browser_session()
        return found.person_id if found is not None else None

    return person


def build_signing(rt: Runtime) -> SigningService:
    """The signing service for this process."""
    return SigningService(rt, department_names(rt.db))

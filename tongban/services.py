"""Domain services the composition root builds from the runtime, wired to one another."""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import request

from idp.departments import get_department
from idp.errors import DepartmentNotFound
from idp.provider import Provider
from idp.web import SESSION_COOKIE
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


def current_person(provider: Provider) -> Callable[[], str | None]:
    """The person logged in to the requesting browser, from the identity provider's
    session cookie: what guards an applicant's download of their approvals."""

    def person() -> str | None:
        found = provider.sessions.get(request.cookies.get(SESSION_COOKIE), now=int(time.time()))
        return found.person_id if found is not None else None

    return person


def build_signing(rt: Runtime) -> SigningService:
    """The signing service for this process."""
    return SigningService(rt, department_names(rt.db))

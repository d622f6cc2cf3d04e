"""Subject identifiers (OpenID Connect Core §8): pairwise per sector by default.

A person's ``sub`` in a sector is a random value, made once and kept in the
``subjects`` table. Random rather than an HMAC of the person id: it survives any
key rotation, and it can be looked up in both directions (userinfo needs
``sub`` → person). The mapping never changes, so processes cache it freely.
"""

from __future__ import annotations

import secrets
import threading
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from idp.models import SubjectRecord
from store.db import Database

CACHE_LIMIT: Final = 100_000


class Subjects:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._by_person: dict[tuple[str, str], str] = {}
        self._by_sub: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def sub_for(self, sector: str, person_id: str, *, now: datetime) -> str:
        """The person's ``sub`` in ``sector``, created on first use."""
        key = (sector, person_id)
        cached = self._by_person.get(key)
        if cached is not None:
            return cached
        with self._db.transaction() as session:
            sub = session.execute(
                select(SubjectRecord.sub).where(
                    SubjectRecord.sector == sector, SubjectRecord.person_id == person_id
                )
            ).scalar()
        if sub is None:
            sub = self._create(sector, person_id, now)
        self._remember(sector, person_id, sub)
        return sub

    def person_for(self, sector: str, sub: str) -> str | None:
        """The person behind ``sub`` in ``sector``, or None."""
        cached = self._by_sub.get((sector, sub))
        if cached is not None:
            return cached
        with self._db.transaction() as session:
            person_id = session.execute(
                select(SubjectRecord.person_id).where(
                    SubjectRecord.sector == sector, SubjectRecord.sub == sub
                )
            ).scalar()
        if person_id is not None:
            self._remember(sector, person_id, sub)
        return person_id

    def _create(self, sector: str, person_id: str, now: datetime) -> str:
        sub = secrets.token_urlsafe(18)
        try:
            with self._db.transaction() as session:
                session.add(
                    SubjectRecord(sector=sector, person_id=person_id, sub=sub, created_at=now)
                )
        except IntegrityError:
            # Another request created it first: use theirs.
            with self._db.transaction() as session:
                existing = session.execute(
                    select(SubjectRecord.sub).where(
                        SubjectRecord.sector == sector, SubjectRecord.person_id == person_id
                    )
                ).scalar()
            if existing is None:
                raise
            return existing
        return sub

    def _remember(self, sector: str, person_id: str, sub: str) -> None:
        with self._lock:
            if len(self._by_person) >= CACHE_LIMIT:
                self._by_person.clear()
                self._by_sub.clear()
            self._by_person[(sector, person_id)] = sub
            self._by_sub[(sector, sub)] = person_id

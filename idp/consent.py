"""Consent: what a person allowed a client, remembered per client until revoked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy import select

from audit.trail import record as audit_record
from idp.models import ConsentRecord
from idp.models import RefreshTokenRecord
from idp.models import RevokedGrant
from store.db import Database


@dataclass(frozen=True)
class Consent:
    client_id: str
    scopes: frozenset[str]
    granted_at: datetime


class Consents:
    def __init__(self, db: Database) -> None:
        self._db = db

    def covers(self, person_id: str, client_id: str, scopes: set[str]) -> bool:
        """Whether earlier consent includes every one of ``scopes``."""
        with self._db.transaction() as session:
            granted = session.execute(
                select(ConsentRecord.scopes).where(
                    ConsentRecord.person_id == person_id, ConsentRecord.client_id == client_id
                )
            ).scalar()
        return granted is not None and scopes <= set(granted)

    def grant(
        self,
        person_id: str,
        client_id: str,
        scopes: set[str],
        *,
        now: datetime,
        request_id: str | None = None,
    ) -> None:
        """Remember consent to ``scopes`` in addition to what was granted before."""
        with self._db.transaction() as session:
            rec = session.get(ConsentRecord, (person_id, client_id))
            if rec is None:
                rec = ConsentRecord(
                    person_id=person_id, client_id=client_id, scopes=[], granted_at=now
                )
                session.add(rec)
            rec.scopes = sorted(set(rec.scopes) | scopes)
            rec.granted_at = now
            audit_record(
                session,
                actor=f"person:{person_id}",
                action="consent.grant",
                target=f"client:{client_id}",
                now=now,
                request_id=request_id,
                details={"scopes": sorted(scopes)},
            )

    def revoke(self, person_id: str, client_id: str, *, now: datetime, actor: str) -> bool:
        with self._db.transaction() as session:
            result = session.execute(
                delete(ConsentRecord).where(
                    ConsentRecord.person_id == person_id, ConsentRecord.client_id == client_id
                )
            )
            gone = int(getattr(result, "rowcount", 0))
            if gone:
                audit_record(
                    session,
                    actor=actor,
                    action="consent.revoke",
                    target=f"client:{client_id}",
                    now=now,
                    details={"person": person_id},
                )
            return bool(gone)

    def withdraw(self, person_id: str, client_id: str, *, now: datetime, actor: str) -> int:
        """Forget consent and revoke the grants the client holds for the person.

        Returns how many grants were revoked: every refresh token family of the pair stops
        working, and introspection and userinfo refuse their access tokens. (Access tokens
        of a client that never received a refresh token expire on their own, within
        ``idp.access_token_seconds``.)
        """
        with self._db.transaction() as session:
            session.execute(
                delete(ConsentRecord).where(
                    ConsentRecord.person_id == person_id, ConsentRecord.client_id == client_id
                )
            )
            grants = set(
                session.execute(
                    select(RefreshTokenRecord.grant_id).where(
                        RefreshTokenRecord.person_id == person_id,
                        RefreshTokenRecord.client_id == client_id,
                    )
                ).scalars()
            )
            already = (
                set(
                    session.execute(
                        select(RevokedGrant.grant_id).where(RevokedGrant.grant_id.in_(grants))
                    ).scalars()
                )
                if grants
                else set()
            )
            for grant_id in sorted(grants - already):
                session.add(
                    RevokedGrant(grant_id=grant_id, revoked_at=now, reason="consent_withdrawn")
                )
            audit_record(
                session,
                actor=actor,
                action="consent.withdraw",
                target=f"client:{client_id}",
                now=now,
                details={"person": person_id, "grants_revoked": len(grants - already)},
            )
        return len(grants - already)

    def for_person(self, person_id: str) -> list[Consent]:
        with self._db.transaction() as session:
            rows = session.execute(
                select(ConsentRecord)
                .where(ConsentRecord.person_id == person_id)
                .order_by(ConsentRecord.granted_at.desc())
            )
            return [Consent(r.client_id, frozenset(r.scopes), r.granted_at) for r in rows.scalars()]

"""The durable record of browser sessions: login history and the list of live sessions.

The session itself lives in the ephemeral store; this table remembers that it existed
(when, how strong, from where, for which clients) after it is gone, so a person sees
their login history and can end sessions on other devices, and an operator can end all
of a person's sessions.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import Session
from sqlalchemy.orm import mapped_column

from store.base import Base
from store.db import Database


class LoginSessionRecord(Base):
    __tablename__ = "login_sessions"

    public_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(32), nullable=False)
    started_at: Mapped[datetime] = mapped_column(nullable=False)
    acr: Mapped[str] = mapped_column(String(40), nullable=False)
    amr: Mapped[list[str]] = mapped_column(nullable=False)
    #: The network the login came from, with the host part removed (/24 or /48).
    network: Mapped[str | None] = mapped_column(String(50))
    user_agent: Mapped[str | None] = mapped_column(String(200))
    clients: Mapped[list[str]] = mapped_column(nullable=False)
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (Index("ix_login_sessions_person", "person_id", "started_at"),)


@dataclass(frozen=True)
class SessionEntry:
    public_id: str
    started_at: datetime
    acr: str
    amr: tuple[str, ...]
    network: str | None
    user_agent: str | None
    clients: tuple[str, ...]
    ended_at: datetime | None
    end_reason: str | None


def coarse_network(address: str | None) -> str | None:
    """The /24 (IPv4) or /48 (IPv6) network of an address: enough to recognise a place,
    not enough to identify a household."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


class SessionLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    def opened(
        self,
        *,
        public_id: str,
        person_id: str,
        acr: str,
        amr: tuple[str, ...],
        address: str | None,
        user_agent: str | None,
        now: datetime,
    ) -> None:
        # Every login writes one: a Core insert, without an ORM unit of work.
        with self._db.connection() as conn:
            conn.execute(
                _INSERT,
                {
                    "public_id": public_id,
                    "person_id": person_id,
                    "started_at": now,
                    "acr": acr,
                    "amr": list(amr),
                    "network": coarse_network(address),
                    "user_agent": (user_agent or "")[:200] or None,
                    "clients": [],
                },
            )

    def client_used(self, public_id: str, client_id: str) -> None:
        with self._db.transaction() as tx:
            rec = tx.get(LoginSessionRecord, public_id)
            if rec is not None and client_id not in rec.clients:
                rec.clients = [*rec.clients, client_id]

    def close(self, tx: Session, public_id: str, *, reason: str, now: datetime) -> None:
        tx.execute(
            update(LoginSessionRecord)
            .where(LoginSessionRecord.public_id == public_id, LoginSessionRecord.ended_at.is_(None))
            .values(ended_at=now, end_reason=reason)
        )

    def open_sessions(self, person_id: str) -> list[str]:
        with self._db.transaction() as tx:
            return list(
                tx.execute(
                    select(LoginSessionRecord.public_id).where(
                        LoginSessionRecord.person_id == person_id,
                        LoginSessionRecord.ended_at.is_(None),
                    )
                ).scalars()
            )

    def history(self, person_id: str, limit: int = 50) -> list[SessionEntry]:
        with self._db.transaction() as tx:
            rows = tx.execute(
                select(LoginSessionRecord)
                .where(LoginSessionRecord.person_id == person_id)
                .order_by(LoginSessionRecord.started_at.desc())
                .limit(limit)
            )
            return [
                SessionEntry(
                    r.public_id,
                    r.started_at,
                    r.acr,
                    tuple(r.amr),
                    r.network,
                    r.user_agent,
                    tuple(r.clients),
                    r.ended_at,
                    r.end_reason,
                )
                for r in rows.scalars()
            ]


_INSERT = insert(LoginSessionRecord)

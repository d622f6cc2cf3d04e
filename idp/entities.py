"""Legal entities and organizations (法人 / 其他组织), their legal representatives and agents.

* An entity is identified by its unified social credit code (GB 32100) and registered
  by its legal representative: a person whose real name is verified (level 2) and
  whom the entity registry names as the entity's head. Operators may register one on
  the representative's behalf (``tongban entity add``); the same check applies.
* The legal representative appoints agents (经办人) with scopes and an expiry, and can
  revoke them. An agent acts for the entity only while the appointment is neither
  expired nor revoked and the entity is active.
* Every change is written to the audit trail in the same transaction.

:meth:`Entities.roles_of` answers "for whom may this person act, now?", which the
login's entity choice and the ``entity`` claim rely on.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from typing import Literal

from sqlalchemy import exists
from sqlalchemy import select
from sqlalchemy import update

from audit.trail import record as audit_record
from idp.accounts import Accounts
from idp.accounts import check_name
from idp.accounts import named
from idp.errors import Conflict
from idp.errors import EntityMismatch
from idp.errors import EntityNotFound
from idp.errors import InvalidInput
from idp.errors import NotAllowed
from idp.identity.errors import CreditCodeInvalid
from idp.identity.uscc import CreditCode
from idp.identity.uscc import parse_credit_code
from idp.models import AgentRecord
from idp.models import EntityRecord
from idp.registry.errors import RegistryUnavailable
from idp.registry.port import RealNameRegistry
from store.db import Database

Role = Literal["legal_representative", "agent"]
SCOPE_PATTERN: Final = re.compile(r"^[a-z][a-z0-9_.:-]{0,63}$")
#: Longest appointment an agent may get at once.
MAX_AGENT_DAYS: Final = 5 * 366
_ENTITY_WORDS: Final = {
    "not_found": "the entity registry has no entity with this credit code",
    "inactive": "the entity registry lists this entity as revoked or cancelled",
    "name_mismatch": "the entity's name does not match the entity registry",
    "representative_mismatch": (
        "the entity registry names someone else as this entity's legal representative"
    ),
}


@dataclass(frozen=True)
class Entity:
    id: str
    credit_code: str
    name: str
    legal_representative_id: str
    status: str
    verified_by: str
    verified_at: datetime

    @property
    def type_name(self) -> str:
        """The entity type the credit code names (企业, 事业单位, 社会团体, ...)."""
        return CreditCode(self.credit_code).entity_type_name


@dataclass(frozen=True)
class Agent:
    id: str
    entity_id: str
    person_id: str
    scopes: tuple[str, ...]
    expires_at: datetime
    appointed_by: str
    created_at: datetime
    revoked_at: datetime | None

    def active_at(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now


@dataclass(frozen=True)
class EntityRole:
    """That a person may act for an entity, and as what."""

    entity: Entity
    role: Role
    scopes: tuple[str, ...] = ()
    expires_at: datetime | None = None

    def claim(self) -> dict[str, object]:
        """The ``entity`` claim value."""
        value: dict[str, object] = {
            "name": self.entity.name,
            "credit_code": self.entity.credit_code,
            "type": self.entity.type_name,
            "role": self.role,
        }
        if self.role == "agent":
            value["scopes"] = list(self.scopes)
            if self.expires_at is not None:
                value["expires_at"] = int(self.expires_at.timestamp())
        return value


def parse_uscc_field(text: str) -> CreditCode:
    try:
        return parse_credit_code(text)
    except CreditCodeInvalid as exc:
        raise named("uscc", exc) from None


class Entities:
    def __init__(self, db: Database, registry: RealNameRegistry, accounts: Accounts) -> None:
        self._db = db
        self._registry = registry
        self._accounts = accounts

    # -- entities ------------------------------------------------------------------------------

    def register(
        self,
        uscc: str,
        name: str,
        legal_representative_id: str,
        *,
        now: datetime,
        actor: str,
        request_id: str | None = None,
    ) -> Entity:
        """Register an entity for its legal representative once the entity registry
        confirms the code, the name and that this person heads it.

        :raises RegistryUnavailable: the registry did not answer; nothing was written.
        """
        code = parse_uscc_field(uscc)
        name = check_name(name)
        representative = self._accounts.get(legal_representative_id)
        if not representative.active:
            raise NotAllowed("legal_representative: the account is disabled")
        if not representative.realname_verified:
            raise NotAllowed(
                "legal_representative: the person's real name must be verified (level 2) first"
            )
        if self.find(code.code) is not None:
            raise Conflict(f"uscc: entity {code.code} is registered already")
        try:
            verdict = self._registry.verify_entity(code, name, representative.name)
        except RegistryUnavailable as exc:
            self._audit_check(actor, code, "unavailable", now, request_id, exc.detail)
            raise
        self._audit_check(actor, code, verdict.outcome.value, now, request_id)
        if not verdict.matched:
            raise EntityMismatch(
                _ENTITY_WORDS.get(verdict.outcome.value, "the entity registry does not confirm it")
            )
        entity_id = secrets.token_hex(16)
        with self._db.transaction() as session:
            if session.execute(
                select(EntityRecord.id).where(EntityRecord.credit_code == code.code)
            ).first():
                raise Conflict(f"uscc: entity {code.code} is registered already")
            rec = EntityRecord(
                id=entity_id,
                credit_code=code.code,
                name=name,
                legal_representative_id=representative.id,
                status="active",
                verified_by=verdict.registry,
                verified_at=now,
                created_at=now,
                updated_at=now,
            )
            session.add(rec)
            audit_record(
                session,
                actor=actor,
                action="entity.register",
                target=f"entity:{code.code}",
                now=now,
                request_id=request_id,
                details={
                    "name": name,
                    "legal_representative": f"person:{representative.id}",
                    "registry": verdict.registry,
                    "reference": verdict.reference,
                },
            )
            return _entity(rec)

    def find(self, credit_code: str) -> Entity | None:
        with self._db.transaction() as session:
            rec = session.execute(
                select(EntityRecord).where(EntityRecord.credit_code == credit_code.strip().upper())
            ).scalar_one_or_none()
            return _entity(rec) if rec else None

    def get(self, credit_code: str) -> Entity:
        found = self.find(credit_code)
        if found is None:
            raise EntityNotFound(f"no entity with credit code {credit_code.strip()[:18]!r}")
        return found

    def by_id(self, entity_id: str) -> Entity | None:
        with self._db.transaction() as session:
            rec = session.get(EntityRecord, entity_id)
            return _entity(rec) if rec else None

    def set_status(self, credit_code: str, status: str, *, now: datetime, actor: str) -> Entity:
        with self._db.transaction() as session:
            rec = session.execute(
                select(EntityRecord).where(EntityRecord.credit_code == credit_code)
            ).scalar_one_or_none()
            if rec is None:
                raise EntityNotFound(f"no entity with credit code {credit_code!r}")
            rec.status = status
            rec.updated_at = now
            audit_record(
                session,
                actor=actor,
                action=f"entity.{status}",
                target=f"entity:{rec.credit_code}",
                now=now,
            )
            return _entity(rec)

    # -- agents -----------------------------------------------------------------------------------

    def appoint_agent(
        self,
        credit_code: str,
        agent_person_id: str,
        scopes: tuple[str, ...],
        expires_at: datetime,
        *,
        now: datetime,
        actor: str,
        by_person_id: str | None = None,
        request_id: str | None = None,
    ) -> Agent:
        """Appoint (or re-appoint, replacing scopes and expiry) an agent.

        :param by_person_id: the person doing it from a page, who must be the legal
            representative; None for an operator at the command line.
        """
        entity = self.get(credit_code)
        self._require_representative(entity, by_person_id)
        scopes = _check_scopes(scopes)
        if expires_at <= now:
            raise InvalidInput("expires: the appointment must end in the future")
        if (expires_at - now).days > MAX_AGENT_DAYS:
            raise InvalidInput(f"expires: at most {MAX_AGENT_DAYS} days ahead")
        agent = self._accounts.get(agent_person_id)
        if not agent.active:
            raise InvalidInput("agent: the account is disabled")
        if agent.id == entity.legal_representative_id:
            raise InvalidInput("agent: the legal representative acts for the entity already")
        with self._db.transaction() as session:
            session.execute(
                update(AgentRecord)
                .where(
                    AgentRecord.entity_id == entity.id,
                    AgentRecord.person_id == agent.id,
                    AgentRecord.revoked_at.is_(None),
                )
                .values(revoked_at=now)
            )
            rec = AgentRecord(
                id=secrets.token_hex(16),
                entity_id=entity.id,
                person_id=agent.id,
                scopes=list(scopes),
                expires_at=expires_at,
                appointed_by=actor,
                created_at=now,
                revoked_at=None,
            )
            session.add(rec)
            audit_record(
                session,
                actor=actor,
                action="agent.appoint",
                target=f"entity:{entity.credit_code}",
                now=now,
                request_id=request_id,
                details={
                    "agent": f"person:{agent.id}",
                    "scopes": list(scopes),
                    "expires_at": expires_at.isoformat(),
                },
            )
            return _agent(rec)

    def revoke_agent(
        self,
        credit_code: str,
        agent_person_id: str,
        *,
        now: datetime,
        actor: str,
        by_person_id: str | None = None,
        request_id: str | None = None,
    ) -> bool:
        """End an agent's appointment at once; False when there was none in force."""
        entity = self.get(credit_code)
        self._require_representative(entity, by_person_id)
        with self._db.transaction() as session:
            result = session.execute(
                update(AgentRecord)
                .where(
                    AgentRecord.entity_id == entity.id,
                    AgentRecord.person_id == agent_person_id,
                    AgentRecord.revoked_at.is_(None),
                )
                .values(revoked_at=now)
            )
            changed = int(getattr(result, "rowcount", 0))
            if changed:
                audit_record(
                    session,
                    actor=actor,
                    action="agent.revoke",
                    target=f"entity:{entity.credit_code}",
                    now=now,
                    request_id=request_id,
                    details={"agent": f"person:{agent_person_id}"},
                )
            return bool(changed)

    def agents(self, credit_code: str, *, include_ended: bool = False) -> list[Agent]:
        entity = self.get(credit_code)
        stmt = select(AgentRecord).where(AgentRecord.entity_id == entity.id)
        if not include_ended:
            stmt = stmt.where(AgentRecord.revoked_at.is_(None))
        with self._db.transaction() as session:
            rows = session.execute(stmt.order_by(AgentRecord.created_at)).scalars()
            return [_agent(r) for r in rows]

    # -- who may act for whom ----------------------------------------------------------------------

    def roles_of(self, person_id: str, *, now: datetime) -> list[EntityRole]:
        """Every active entity this person heads or is an agent of, now."""
        roles: list[EntityRole] = []
        with self._db.transaction() as session:
            for rec in session.execute(
                select(EntityRecord)
                .where(
                    EntityRecord.legal_representative_id == person_id,
                    EntityRecord.status == "active",
                )
                .order_by(EntityRecord.name)
            ).scalars():
                roles.append(EntityRole(_entity(rec), "legal_representative"))
            for agent, entity in session.execute(
                select(AgentRecord, EntityRecord)
                .join(EntityRecord, EntityRecord.id == AgentRecord.entity_id)
                .where(
                    AgentRecord.person_id == person_id,
                    AgentRecord.revoked_at.is_(None),
                    AgentRecord.expires_at > now,
                    EntityRecord.status == "active",
                )
                .order_by(EntityRecord.name)
            ).all():
                roles.append(
                    EntityRole(_entity(entity), "agent", tuple(agent.scopes), agent.expires_at)
                )
        return roles

    def acts_for_any(self, person_id: str, *, now: datetime) -> bool:
        """Whether :meth:`roles_of` would find anything: one cheap query, run after
        every login to decide whether to ask whom the person acts for."""
        heads = select(_entities.c.id).where(
            _entities.c.legal_representative_id == person_id, _entities.c.status == "active"
        )
        agent_of = (
            select(_agents.c.id)
            .join(_entities, _entities.c.id == _agents.c.entity_id)
            .where(
                _agents.c.person_id == person_id,
                _agents.c.revoked_at.is_(None),
                _agents.c.expires_at > now,
                _entities.c.status == "active",
            )
        )
        with self._db.connection() as conn:
            found = conn.execute(
                select(exists(heads).label("a"), exists(agent_of).label("b"))
            ).one()
        return bool(found.a or found.b)

    def role_for(self, person_id: str, entity_id: str, *, now: datetime) -> EntityRole | None:
        """The person's role for one entity now, or None (expired, revoked, disabled)."""
        return next(
            (r for r in self.roles_of(person_id, now=now) if r.entity.id == entity_id), None
        )

    # -- helpers ---------------------------------------------------------------------------------

    def _require_representative(self, entity: Entity, by_person_id: str | None) -> None:
        if by_person_id is not None and by_person_id != entity.legal_representative_id:
            raise NotAllowed("only the entity's legal representative may appoint or revoke agents")
        if entity.status != "active":
            raise NotAllowed(f"entity {entity.credit_code} is {entity.status}")

    def _audit_check(
        self,
        actor: str,
        code: CreditCode,
        outcome: str,
        now: datetime,
        request_id: str | None,
        detail: str | None = None,
    ) -> None:
        with self._db.transaction() as session:
            audit_record(
                session,
                actor=actor,
                action="entity.registry_check",
                target=f"entity:{code.code}",
                now=now,
                outcome="success" if outcome == "match" else "failure",
                request_id=request_id,
                details={
                    "registry": self._registry.name,
                    "result": outcome,
                    "detail": (detail or "")[:200] or None,
                },
            )


_entities = EntityRecord.__table__
_agents = AgentRecord.__table__


def _check_scopes(scopes: tuple[str, ...]) -> tuple[str, ...]:
    cleaned = tuple(dict.fromkeys(s.strip() for s in scopes if s.strip()))
    if not cleaned:
        raise InvalidInput("scope: give at least one scope of what the agent may do")
    for scope in cleaned:
        if not SCOPE_PATTERN.match(scope):
            raise InvalidInput(
                f"scope: {scope[:40]!r} is not a scope name (lower-case letters, digits, "
                "'.', '_', ':' or '-')"
            )
    return cleaned


def _entity(rec: EntityRecord) -> Entity:
    return Entity(
        id=rec.id,
        credit_code=rec.credit_code,
        name=rec.name,
        legal_representative_id=rec.legal_representative_id,
        status=rec.status,
        verified_by=rec.verified_by,
        verified_at=rec.verified_at,
    )


def _agent(rec: AgentRecord) -> Agent:
    return Agent(
        id=rec.id,
        entity_id=rec.entity_id,
        person_id=rec.person_id,
        scopes=tuple(rec.scopes),
        expires_at=rec.expires_at,
        appointed_by=rec.appointed_by,
        created_at=rec.created_at,
        revoked_at=rec.revoked_at,
    )

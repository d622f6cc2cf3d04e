"""WebAuthn passkeys (py_webauthn): the registration and authentication ceremonies.

* Registration (a logged-in person adds a passkey): options with a fresh challenge,
  the person's random id as user handle (no personal data on the authenticator), a
  discoverable credential (resident key) so login needs no username, and the
  person's existing credentials excluded. The verified credential's public key and
  signature counter are stored.
* Authentication (login): options with a fresh challenge and no allow list; the
  authenticator offers the person's discoverable credentials. The response is
  verified against the stored key, the counter must increase (a cloned authenticator
  is refused), and the user handle, when sent, must be the credential's owner.
* A challenge is kept in the ephemeral store, bound to the ceremony, and taken once.

The login's ``amr`` is ``hwk`` for a credential bound to one device and ``swk`` for
one that may be synced (the backup-eligible flag), plus ``mfa`` when the authenticator
verified the user (PIN or biometric). Either gives level 3 to a level-2 account.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from typing import Final

from sqlalchemy import delete
from sqlalchemy import select
from webauthn import generate_authentication_options
from webauthn import generate_registration_options
from webauthn import options_to_json
from webauthn import verify_authentication_response
from webauthn import verify_registration_response
from webauthn.helpers import base64url_to_bytes
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers import parse_authentication_credential_json
from webauthn.helpers import parse_registration_credential_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import AuthenticatorSelectionCriteria
from webauthn.helpers.structs import CredentialDeviceType
from webauthn.helpers.structs import PublicKeyCredentialDescriptor
from webauthn.helpers.structs import ResidentKeyRequirement
from webauthn.helpers.structs import UserVerificationRequirement

from audit.trail import record as audit_record
from idp.accounts import Person
from idp.errors import IdpError
from idp.errors import InvalidInput
from idp.models import PasskeyRecord
from store.db import Database
from store.ephemeral import EphemeralStore

CEREMONY_SECONDS: Final = 300
_KEY: Final = "webauthn:"


class PasskeyFailed(IdpError):
    """A passkey response did not verify; one message for every reason (log has detail)."""

    code = "passkey_failed"
    http_status = 401
    expose = True


@dataclass(frozen=True)
class Passkey:
    credential_id: str
    person_id: str
    name: str
    backup_eligible: bool
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True)
class PasskeyLogin:
    person_id: str
    amr: tuple[str, ...]


class Passkeys:
    def __init__(
        self, db: Database, store: EphemeralStore, *, rp_id: str, rp_name: str, origin: str
    ) -> None:
        self._db = db
        self._store = store
        self.rp_id = rp_id
        self.rp_name = rp_name
        self.origin = origin

    # -- registration ---------------------------------------------------------------------------

    def registration_options(self, person: Person) -> tuple[str, str]:
        """(ceremony id, ``PublicKeyCredentialCreationOptions`` as JSON)."""
        existing = [
            PublicKeyCredentialDescriptor(id=_b64decode(p.credential_id))
            for p in self.of_person(person.id)
        ]
        options = generate_registration_options(
            rp_id=self.rp_id,
            rp_name=self.rp_name,
            user_id=bytes.fromhex(person.id),
            user_name=person.username,
            user_display_name=person.name,
            exclude_credentials=existing,
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.REQUIRED,
                user_verification=UserVerificationRequirement.PREFERRED,
            ),
            timeout=CEREMONY_SECONDS * 1000,
        )
        ceremony = self._remember("reg", options.challenge, person.id)
        return ceremony, options_to_json(options)

    def register(
        self,
        ceremony: str,
        person_id: str,
        credential: str,
        name: str,
        *,
        now: datetime,
        actor: str,
    ) -> Passkey:
        state = self._take("reg", ceremony)
        if state is None or state["person"] != person_id:
            raise PasskeyFailed("the passkey request expired; please try again")
        name = (name or "").strip()[:100] or "通行密钥"
        try:
            parsed = parse_registration_credential_json(credential)
            verified = verify_registration_response(
                credential=parsed,
                expected_challenge=_b64decode(state["challenge"]),
                expected_rp_id=self.rp_id,
                expected_origin=self.origin,
            )
        except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
            raise PasskeyFailed(
                "the passkey could not be verified; please try again", detail=str(exc)[:200]
            ) from None
        credential_id = bytes_to_base64url(verified.credential_id)
        transports = [t.value for t in (parsed.response.transports or [])]
        with self._db.transaction() as session:
            if session.get(PasskeyRecord, credential_id) is not None:
                raise InvalidInput("this passkey is registered already")
            rec = PasskeyRecord(
                credential_id=credential_id,
                person_id=person_id,
                public_key=verified.credential_public_key,
                sign_count=verified.sign_count,
                backup_eligible=verified.credential_device_type
                == CredentialDeviceType.MULTI_DEVICE,
                transports=transports,
                name=name,
                created_at=now,
                last_used_at=None,
            )
            session.add(rec)
            audit_record(
                session,
                actor=actor,
                action="passkey.add",
                target=f"person:{person_id}",
                now=now,
                details={"credential": credential_id[:16], "synced": rec.backup_eligible},
            )
            return _passkey(rec)

    # -- authentication ---------------------------------------------------------------------------

    def authentication_options(self) -> tuple[str, str]:
        """(ceremony id, ``PublicKeyCredentialRequestOptions`` as JSON)."""
        options = generate_authentication_options(
            rp_id=self.rp_id,
            user_verification=UserVerificationRequirement.PREFERRED,
            timeout=CEREMONY_SECONDS * 1000,
        )
        return self._remember("auth", options.challenge, None), options_to_json(options)

    def authenticate(self, ceremony: str, credential: str, *, now: datetime) -> PasskeyLogin:
        state = self._take("auth", ceremony)
        if state is None:
            raise PasskeyFailed("the passkey request expired; please try again")
        try:
            parsed = parse_authentication_credential_json(credential)
        except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
            raise PasskeyFailed(
                "the passkey could not be verified", detail=str(exc)[:200]
            ) from None
        with self._db.transaction() as session:
            rec = session.get(PasskeyRecord, parsed.id)
            if rec is None:
                raise PasskeyFailed("this passkey is not registered with Tongban")
            handle = parsed.response.user_handle
            if handle and handle != bytes.fromhex(rec.person_id):
                raise PasskeyFailed("the passkey could not be verified", detail="user handle")
            try:
                verified = verify_authentication_response(
                    credential=parsed,
                    expected_challenge=_b64decode(state["challenge"]),
                    expected_rp_id=self.rp_id,
                    expected_origin=self.origin,
                    credential_public_key=rec.public_key,
                    credential_current_sign_count=rec.sign_count,
                )
            except (WebAuthnException, ValueError) as exc:
                raise PasskeyFailed(
                    "the passkey could not be verified", detail=str(exc)[:200]
                ) from None
            rec.sign_count = verified.new_sign_count
            rec.last_used_at = now
            amr = ["swk" if rec.backup_eligible else "hwk"]
            if verified.user_verified:
                amr.append("mfa")
            return PasskeyLogin(rec.person_id, tuple(amr))

    # -- management ----------------------------------------------------------------------------

    def of_person(self, person_id: str) -> list[Passkey]:
        with self._db.transaction() as session:
            rows = session.execute(
                select(PasskeyRecord)
                .where(PasskeyRecord.person_id == person_id)
                .order_by(PasskeyRecord.created_at)
            ).scalars()
            return [_passkey(r) for r in rows]

    def remove(self, person_id: str, credential_id: str, *, now: datetime, actor: str) -> bool:
        with self._db.transaction() as session:
            result = session.execute(
                delete(PasskeyRecord).where(
                    PasskeyRecord.person_id == person_id,
                    PasskeyRecord.credential_id == credential_id,
                )
            )
            gone = bool(getattr(result, "rowcount", 0))
            if gone:
                audit_record(
                    session,
                    actor=actor,
                    action="passkey.remove",
                    target=f"person:{person_id}",
                    now=now,
                    details={"credential": credential_id[:16]},
                )
            return gone

    # -- challenges ----------------------------------------------------------------------------

    def _remember(self, kind: str, challenge: bytes, person_id: str | None) -> str:
        ceremony = secrets.token_urlsafe(18)
        body = {"challenge": bytes_to_base64url(challenge), "person": person_id}
        self._store.put(f"{_KEY}{kind}:{ceremony}", json.dumps(body).encode(), CEREMONY_SECONDS)
        return ceremony

    def _take(self, kind: str, ceremony: str) -> dict[str, Any] | None:
        if not ceremony or len(ceremony) > 64:
            return None
        raw = self._store.take(f"{_KEY}{kind}:{ceremony}")
        return json.loads(raw) if raw else None


def _b64decode(value: str) -> bytes:
    return base64url_to_bytes(value)


def _passkey(rec: PasskeyRecord) -> Passkey:
    return Passkey(
        credential_id=rec.credential_id,
        person_id=rec.person_id,
        name=rec.name,
        backup_eligible=rec.backup_eligible,
        created_at=rec.created_at,
        last_used_at=rec.last_used_at,
    )

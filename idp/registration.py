"""Self-registration of citizens: a phone proven by SMS code, then the account.

1. :meth:`Registrations.start` sends a code (purpose ``register``) and opens a
   registration, kept in the ephemeral store for ``idp.interaction_seconds``.
2. :meth:`Registrations.confirm_phone` checks the code once. Only now is the person
   told whether the number already has an account (they proved they hold it).
3. :meth:`Registrations.create_account` validates everything, asks the registry when
   an ID document is given, and only then creates the account in one transaction:
   level 1 with the verified phone, or level 2 when the registry matched. A registry
   that is down or says no leaves nothing behind; the verified phone stays in the
   registration, so the person retries without a new code.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from idp.accounts import Accounts
from idp.accounts import Person
from idp.accounts import check_name
from idp.accounts import check_username
from idp.accounts import parse_phone_field
from idp.authn.otp import CodeSent
from idp.authn.otp import OneTimeCodes
from idp.errors import IdNumberTaken
from idp.errors import InvalidInput
from idp.errors import PhoneTaken
from idp.errors import UsernameTaken
from idp.identity.masking import mask_phone
from idp.realname import RealNames
from idp.realname import parse_id_document
from store.ephemeral import EphemeralStore

REGISTER_PURPOSE: Final = "register"
_KEY: Final = "registration:"


class RegistrationExpired(InvalidInput):
    code = "registration_expired"


@dataclass(frozen=True)
class Registration:
    id: str
    phone: str
    phone_verified: bool

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class Registrations:
    def __init__(
        self,
        store: EphemeralStore,
        codes: OneTimeCodes,
        accounts: Accounts,
        realnames: RealNames,
        *,
        ttl: int,
    ) -> None:
        self._store = store
        self._codes = codes
        self._accounts = accounts
        self._realnames = realnames
        self._ttl = ttl

    def start(self, phone: str, *, address: str, now: datetime) -> tuple[Registration, CodeSent]:
        number = parse_phone_field(phone)
        sent = self._codes.send(number, address=address, purpose=REGISTER_PURPOSE, now=now)
        registration = Registration(secrets.token_urlsafe(18), number, False)
        self._save(registration)
        return registration, sent

    def resend(self, registration_id: str, *, address: str, now: datetime) -> CodeSent:
        registration = self.get(registration_id)
        return self._codes.send(
            registration.phone, address=address, purpose=REGISTER_PURPOSE, now=now
        )

    def get(self, registration_id: str | None) -> Registration:
        raw = (
            self._store.get(_KEY + registration_id)
            if registration_id and len(registration_id) <= 64
            else None
        )
        if raw is None:
            raise RegistrationExpired("the registration expired; please start again")
        data = json.loads(raw)
        return Registration(registration_id or "", data["phone"], data["verified"])

    def confirm_phone(self, registration_id: str, code: str) -> Registration:
        registration = self.get(registration_id)
        self._codes.verify(registration.phone, code, purpose=REGISTER_PURPOSE)
        if self._accounts.by_phone(registration.phone) is not None:
            self._store.delete(_KEY + registration_id)
            raise PhoneTaken(
                "phone: this mobile number has an account already; log in with an SMS code"
            )
        confirmed = Registration(registration.id, registration.phone, True)
        self._save(confirmed)
        return confirmed

    def create_account(
        self,
        registration_id: str,
        *,
        username: str,
        name: str,
        password: str,
        id_type: str | None,
        id_number: str | None,
        now: datetime,
        request_id: str | None = None,
    ) -> Person:
        registration = self.get(registration_id)
        if not registration.phone_verified:
            raise RegistrationExpired("confirm your mobile number with the SMS code first")
        username = check_username(username)
        name = check_name(name)
        if self._accounts.username_taken(username):
            raise UsernameTaken(f"username: {username!r} is taken; choose another")
        self._accounts.check_new_password(password, context=(username, name, registration.phone))
        document = (
            parse_id_document(id_type or "", id_number, today=now.date()) if id_number else None
        )
        verified_by = None
        if document is not None:
            if self._accounts.by_document(document) is not None:
                raise IdNumberTaken("id_number: this ID number belongs to another account")
            verdict = self._realnames.check(
                name,
                document,
                now=now,
                actor="registration",
                target=f"phone:{registration.masked_phone}",
                request_id=request_id,
            )
            verified_by = verdict.registry
        person = self._accounts.add(
            username,
            password,
            name,
            now=now,
            actor="registration",
            phone=registration.phone,
            phone_verified=True,
            document=document,
            verified_by=verified_by,
            request_id=request_id,
        )
        self._store.delete(_KEY + registration_id)
        return person

    def _save(self, registration: Registration) -> None:
        body = {"phone": registration.phone, "verified": registration.phone_verified}
        self._store.put(_KEY + registration.id, json.dumps(body).encode(), self._ttl)

"""Sending text messages: the :class:`SMSGateway` port and its two adapters.

:class:`HTTPSMSGateway` talks to a provider's HTTP API with the request signing of
:mod:`idp.authn.signed_http`. The contract it expects::

    POST <url>                         (signed, JSON, UTF-8)
    {"account": "<account id>", "message_id": "<32 hex>",
     "phone": "13812345678", "text": "【通办】…"}

    200 {"message_id": "<same>", "status": "accepted"}

``message_id`` stays the same across the retries of one message, so a gateway that
received a request whose answer was lost can drop the duplicate instead of sending the
text twice.

:class:`DevOutboxSMSGateway` sends nothing: it keeps messages in the ephemeral store
for a day, where the development-mode outbox page lists them. The composition root
must use it only in development mode.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Final
from typing import Protocol
from typing import runtime_checkable

import httpx

from idp.authn.errors import SMSUnavailable
from idp.authn.signed_http import SignedJSONClient
from idp.authn.signed_http import UpstreamError
from store.ephemeral import EphemeralStore

#: SMS texts are at most this many characters (a few concatenated parts).
MAX_TEXT_LENGTH: Final = 300


@runtime_checkable
class SMSGateway(Protocol):
    """Sends one text message to one mainland mobile number.

    ``phone`` is the 11-digit form from :func:`idp.identity.phones.parse_mobile`.
    Returns the gateway's message id. Raises :class:`~idp.authn.errors.SMSUnavailable`
    when the message could not be handed over; then nothing was sent, as far as the
    adapter can tell, and the caller may tell the person to try again.
    """

    def send(self, phone: str, text: str) -> str: ...


class HTTPSMSGateway:
    """An SMS provider reached over HTTPS with signed JSON requests."""

    def __init__(
        self,
        url: str,
        account_id: str,
        secret: bytes,
        *,
        timeout: float = 5.0,
        retries: int = 2,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._account_id = account_id
        self._client = SignedJSONClient(
            url,
            account_id,
            secret,
            timeout=timeout,
            retries=retries,
            transport=transport,
            clock=clock,
            sleep=sleep,
        )

    def send(self, phone: str, text: str) -> str:
        _check_message(phone, text)
        message_id = secrets.token_hex(16)
        payload = {
            "account": self._account_id,
            "message_id": message_id,
            "phone": phone,
            "text": text,
        }
        try:
            answer = self._client.post("", payload)
        except UpstreamError as exc:
            raise SMSUnavailable(
                "the text message could not be sent; please try again later",
                retry_after=exc.retry_after,
                detail=f"SMS gateway {exc.kind}: {exc.detail}",
            ) from None
        if answer.get("status") != "accepted" or answer.get("message_id") != message_id:
            raise SMSUnavailable(
                "the text message could not be sent; please try again later",
                detail=f"SMS gateway answered {json.dumps(answer)[:200]}",
            )
        return message_id

    def close(self) -> None:
        self._client.close()


@dataclass(frozen=True)
class OutboxMessage:
    """A message the development outbox kept instead of sending."""

    message_id: str
    phone: str
    text: str
    sent_at: datetime


class DevOutboxSMSGateway:
    """Keeps messages in the ephemeral store instead of sending them (development only).

    Messages are numbered by a store counter and kept for ``ttl`` seconds;
    :meth:`messages` lists the newest first, across every worker process.
    """

    def __init__(
        self,
        store: EphemeralStore,
        *,
        ttl: int = 24 * 3600,
        clock: Callable[[], float] = time.time,
        prefix: str = "sms-outbox",
    ) -> None:
        self._store = store
        self._ttl = ttl
        self._clock = clock
        self._prefix = prefix

    def send(self, phone: str, text: str) -> str:
        _check_message(phone, text)
        # The counter lives longer than any message, so numbers are not reused while
        # a message that carries one is still kept.
        number = self._store.incr(f"{self._prefix}:seq", min(31 * 24 * 3600, self._ttl * 30))
        message_id = f"dev-{number}"
        record = {"id": message_id, "phone": phone, "text": text, "at": self._clock()}
        self._store.put(
            f"{self._prefix}:{number}", json.dumps(record, ensure_ascii=False).encode(), self._ttl
        )
        return message_id

    def messages(self, limit: int = 50) -> list[OutboxMessage]:
        """The newest ``limit`` messages still kept, newest first."""
        newest = self._store.count(f"{self._prefix}:seq")
        found: list[OutboxMessage] = []
        for number in range(newest, max(0, newest - limit), -1):
            raw = self._store.get(f"{self._prefix}:{number}")
            if raw is None:
                continue
            record = json.loads(raw)
            found.append(
                OutboxMessage(
                    message_id=record["id"],
                    phone=record["phone"],
                    text=record["text"],
                    sent_at=datetime.fromtimestamp(record["at"], UTC),
                )
            )
        return found


def _check_message(phone: str, text: str) -> None:
    # Programming errors, not user input: callers pass parsed numbers and own texts.
    if not (len(phone) == 11 and phone.isascii() and phone.isdigit()):
        raise ValueError("phone must be the 11-digit form from parse_mobile()")
    if not text or len(text) > MAX_TEXT_LENGTH:
        raise ValueError(f"text must be 1..{MAX_TEXT_LENGTH} characters")

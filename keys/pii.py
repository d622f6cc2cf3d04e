"""Personal data at rest: AES-256-GCM encryption and keyed lookup hashes.

ID numbers and phone numbers are stored encrypted, and found through a keyed hash
instead of the clear value. Both keys come from the master keys (:mod:`keys.master`)
through HKDF-SHA256 (RFC 5869), one sub-key per master key, use and *purpose* (such as
``"id_number"`` or ``"phone"``), so a ciphertext or hash of one purpose is useless for
another.

Ciphertext layout (version-tagged, like :mod:`keys.envelope`)::

    b"TBP1" | master key id (8) | nonce (12) | ciphertext + tag (16)

The associated data binds the tag, the master key id, the purpose and an optional
caller context (a row's id), so a blob moved to another column or row does not open.
The primary master key encrypts; every configured master key decrypts.

Lookup hashes are text, ``tbh1.<master key id>.<43 base64url chars>`` (HMAC-SHA256).
**A lookup hash depends on the master key**: when the primary master key changes,
new hashes differ from stored ones. Rotation therefore includes re-hashing: while the
old key is still configured, look up with :meth:`PersonalDataCipher.lookup_hashes`
(one hash per configured key), re-hash rows whose :meth:`~PersonalDataCipher.needs_rehash`
is true (from the decrypted value, or for hash-only data such as the local real-name
registry by importing it again), and only then drop the old master key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import threading
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from keys.errors import KeysError
from keys.master import MasterKey
from keys.master import MasterKeys

MAGIC: Final = b"TBP1"
HASH_PREFIX: Final = "tbh1."
#: Longest lookup hash, for column widths: prefix, 16-hex key id, dot, 43 characters.
HASH_LENGTH: Final = len(HASH_PREFIX) + 16 + 1 + 43
_ID, _NONCE, _TAG = 8, 12, 16
_SALT: Final = b"tongban-pii-v1"
_PURPOSE: Final = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class PersonalDataUndecryptable(KeysError):
    """A personal-data ciphertext does not open: wrong master key, wrong row, or damaged.

    ``reason`` is ``wrong_master_key`` (its master key is not configured) or ``damaged``.
    """

    code = "personal_data_undecryptable"

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class PersonalDataCipher:
    """Encrypts, decrypts and hashes personal data under keys derived from ``master``."""

    def __init__(self, master: MasterKeys) -> None:
        self._master = master
        self._lock = threading.Lock()
        self._derived: dict[tuple[str, str, str], bytes] = {}

    def __repr__(self) -> str:
        return f"PersonalDataCipher(primary={self._master.primary.key_id})"

    @property
    def primary_key_id(self) -> str:
        """The id of the master key that encrypts and hashes now."""
        return self._master.primary.key_id

    def encrypt(self, purpose: str, value: str, *, context: bytes = b"") -> bytes:
        """Encrypt ``value`` under the primary master key's sub-key for ``purpose``."""
        primary = self._master.primary
        key_id = bytes.fromhex(primary.key_id)
        nonce = os.urandom(_NONCE)
        key = self._key(primary, "encrypt", purpose)
        sealed = AESGCM(key).encrypt(nonce, value.encode("utf-8"), _aad(key_id, purpose, context))
        return MAGIC + key_id + nonce + sealed

    def decrypt(self, purpose: str, blob: bytes, *, context: bytes = b"") -> str:
        """Open a blob from :meth:`encrypt` with the same ``purpose`` and ``context``."""
        if len(blob) < len(MAGIC) + _ID + _NONCE + _TAG or not blob.startswith(MAGIC):
            raise PersonalDataUndecryptable("not a personal-data ciphertext", reason="damaged")
        key_id = blob[len(MAGIC) : len(MAGIC) + _ID]
        nonce = blob[len(MAGIC) + _ID : len(MAGIC) + _ID + _NONCE]
        master_key = self._master.by_id(key_id.hex())
        if master_key is None:
            raise PersonalDataUndecryptable(
                f"personal data encrypted under master key {key_id.hex()}, which is not configured",
                reason="wrong_master_key",
            )
        key = self._key(master_key, "encrypt", purpose)
        try:
            plain = AESGCM(key).decrypt(
                nonce, blob[len(MAGIC) + _ID + _NONCE :], _aad(key_id, purpose, context)
            )
        except InvalidTag:
            raise PersonalDataUndecryptable(
                f"personal data ({purpose}) does not open: damaged, or moved from another "
                "row or purpose",
                reason="damaged",
            ) from None
        return plain.decode("utf-8")

    def reencrypt(self, purpose: str, blob: bytes, *, context: bytes = b"") -> bytes:
        """Decrypt with whichever key sealed ``blob`` and encrypt under the primary."""
        return self.encrypt(purpose, self.decrypt(purpose, blob, context=context), context=context)

    def lookup_hash(self, purpose: str, value: str) -> str:
        """The keyed hash of ``value`` under the primary master key: store this one."""
        return self._hash(self._master.primary, purpose, value)

    def lookup_hashes(self, purpose: str, value: str) -> tuple[str, ...]:
        """One hash per configured master key, primary first: look up with all of them
        so rows not yet re-hashed after a master key rotation are still found."""
        return tuple(self._hash(key, purpose, value) for key in self._master.keys)

    def needs_rehash(self, stored: str) -> bool:
        """Whether ``stored`` was made under a key other than the primary."""
        return hashed_by(stored) != self._master.primary.key_id

    def _hash(self, master_key: MasterKey, purpose: str, value: str) -> str:
        digest = hmac.new(
            self._key(master_key, "lookup", purpose), value.encode("utf-8"), hashlib.sha256
        ).digest()
        body = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
        return f"{HASH_PREFIX}{master_key.key_id}.{body}"

    def _key(self, master_key: MasterKey, use: str, purpose: str) -> bytes:
        if not _PURPOSE.match(purpose):
            raise ValueError(f"purpose must match {_PURPOSE.pattern}, got {purpose!r}")
        cache_key = (master_key.key_id, use, purpose)
        with self._lock:
            derived = self._derived.get(cache_key)
            if derived is None:
                derived = HKDF(
                    algorithm=hashes.SHA256(),
                    length=32,
                    salt=_SALT,
                    info=f"tongban/pii/{use}/{purpose}".encode("ascii"),
                ).derive(master_key.key)
                self._derived[cache_key] = derived
            return derived


def encrypted_by(blob: bytes) -> str | None:
    """The id of the master key that encrypted ``blob``, or None if it is not ours."""
    if len(blob) < len(MAGIC) + _ID or not blob.startswith(MAGIC):
        return None
    return blob[len(MAGIC) : len(MAGIC) + _ID].hex()


def hashed_by(stored: str) -> str | None:
    """The id of the master key a lookup hash was made under, or None if malformed."""
    parts = stored.split(".")
    if len(parts) != 3 or parts[0] + "." != HASH_PREFIX or len(parts[1]) != 16:
        return None
    return parts[1]


def _aad(key_id: bytes, purpose: str, context: bytes) -> bytes:
    purpose_bytes = purpose.encode("ascii")
    return MAGIC + key_id + bytes([len(purpose_bytes)]) + purpose_bytes + context

"""AES-256-GCM envelope encryption of private keys at rest.

Each blob gets its own random data key; the master key only wraps that data key.
Layout (all fixed sizes but the last)::

    b"TBE1" | master key id (8) | wrap nonce (12) | wrapped data key (32 + 16 tag)
            | data nonce (12)   | ciphertext + tag (16)

``aad`` (associated data, e.g. the key's kid and purpose) is bound into both layers,
so a blob copied onto another key's row does not open.
"""

from __future__ import annotations

import os
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from keys.master import MasterKeys

MAGIC: Final = b"TBE1"
_ID, _NONCE, _WRAPPED = 8, 12, 48
_HEADER = len(MAGIC) + _ID + _NONCE + _WRAPPED + _NONCE


class EnvelopeError(Exception):
    """The blob does not open; ``reason`` is ``wrong_master_key`` or ``damaged``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def seal(master: MasterKeys, plaintext: bytes, aad: bytes) -> bytes:
    """Encrypt ``plaintext`` under a fresh data key wrapped by the primary master key."""
    primary = master.primary
    key_id = bytes.fromhex(primary.key_id)
    data_key = AESGCM.generate_key(bit_length=256)
    wrap_nonce, data_nonce = os.urandom(_NONCE), os.urandom(_NONCE)
    wrapped = AESGCM(primary.key).encrypt(wrap_nonce, data_key, MAGIC + key_id + aad)
    ciphertext = AESGCM(data_key).encrypt(data_nonce, plaintext, MAGIC + aad)
    return MAGIC + key_id + wrap_nonce + wrapped + data_nonce + ciphertext


def open_sealed(master: MasterKeys, blob: bytes, aad: bytes) -> bytes:
    """Decrypt a blob from :func:`seal`; raise :class:`EnvelopeError` if it does not open."""
    if len(blob) < _HEADER + 16 or not blob.startswith(MAGIC):
        raise EnvelopeError("damaged")
    offset = len(MAGIC)
    key_id = blob[offset : offset + _ID]
    offset += _ID
    wrap_nonce = blob[offset : offset + _NONCE]
    offset += _NONCE
    wrapped = blob[offset : offset + _WRAPPED]
    offset += _WRAPPED
    data_nonce = blob[offset : offset + _NONCE]
    ciphertext = blob[offset + _NONCE :]
    master_key = master.by_id(key_id.hex())
    if master_key is None:
        raise EnvelopeError("wrong_master_key")
    try:
        data_key = AESGCM(master_key.key).decrypt(wrap_nonce, wrapped, MAGIC + key_id + aad)
    except InvalidTag:
        # The master key matched by id, so the wrapping (or aad) was altered.
        raise EnvelopeError("damaged") from None
    try:
        return AESGCM(data_key).decrypt(data_nonce, ciphertext, MAGIC + aad)
    except InvalidTag:
        raise EnvelopeError("damaged") from None


def wrapped_by(blob: bytes) -> str | None:
    """The id of the master key that wrapped ``blob``, or None if it is not an envelope."""
    if len(blob) < _HEADER or not blob.startswith(MAGIC):
        return None
    return blob[len(MAGIC) : len(MAGIC) + _ID].hex()

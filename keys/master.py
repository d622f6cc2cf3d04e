"""Master keys: the AES-256 keys that encrypt every private key at rest.

A master key is written ``tbmk1.<43 base64url characters>`` (32 bytes, version-tagged).
Several may be given, one per line (file) or comma-separated (``TONGBAN_MASTER_KEY``):
the first encrypts, all decrypt, so a master key is rotated MultiFernet-style by
putting the new one first and re-wrapping (``tongban keys rewrap``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from keys.errors import MasterKeyInvalid
from keys.errors import MasterKeyMissing

PREFIX: Final = "tbmk1."
KEY_BYTES: Final = 32
_BASE64URL: Final = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class MasterKey:
    key: bytes

    def __repr__(self) -> str:  # Never show the key, even in a debugger or a log.
        return f"MasterKey(id={self.key_id})"

    @property
    def key_id(self) -> str:
        """16 hex characters that say which master key wrapped a blob."""
        return hashlib.sha256(b"tongban-master-key-id\x00" + self.key).hexdigest()[:16]


@dataclass(frozen=True)
class MasterKeys:
    """The ordered master keys: ``primary`` encrypts, every key decrypts."""

    keys: tuple[MasterKey, ...]

    def __post_init__(self) -> None:
        if not self.keys:
            raise MasterKeyMissing("no master key given")

    @property
    def primary(self) -> MasterKey:
        return self.keys[0]

    def by_id(self, key_id: str) -> MasterKey | None:
        return next((k for k in self.keys if k.key_id == key_id), None)


def generate_master_key() -> str:
    """A new master key in its written form."""
    raw = secrets.token_bytes(KEY_BYTES)
    return PREFIX + base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def parse_master_keys(text: str, source: str) -> MasterKeys:
    """Parse written master keys; ``source`` names where they came from in errors."""
    keys: list[MasterKey] = []
    lines = [line.split("#", 1)[0] for line in text.splitlines()]
    entries = [e.strip() for line in lines for e in line.split(",")]
    for number, entry in enumerate(e for e in entries if e):
        keys.append(MasterKey(_decode(entry, f"{source}, entry {number + 1}")))
    if not keys:
        raise MasterKeyInvalid(f"{source} holds no master key")
    return MasterKeys(tuple(keys))


def load_master_keys(environ: Mapping[str, str], key_file: Path) -> MasterKeys:
    """From ``TONGBAN_MASTER_KEY`` if set, else from ``key_file``."""
    from_env = environ.get("TONGBAN_MASTER_KEY")
    if from_env:
        return parse_master_keys(from_env, "TONGBAN_MASTER_KEY")
    try:
        text = key_file.read_text(encoding="ascii")
    except FileNotFoundError:
        raise MasterKeyMissing(
            f"master key file {key_file} does not exist; run `tongban init` or set "
            "TONGBAN_MASTER_KEY"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not ASCII text"
        raise MasterKeyInvalid(f"master key file {key_file} cannot be read: {reason}") from None
    return parse_master_keys(text, f"master key file {key_file}")


def write_master_key_file(path: Path) -> None:
    """Create ``path`` with a new master key, readable by its owner only.

    Refuses to overwrite: losing a master key loses every key it encrypted.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write("# Tongban master key: keep it secret, keep a backup. First line encrypts.\n")
        handle.write(generate_master_key() + "\n")


def _decode(entry: str, where: str) -> bytes:
    expected = f"expected {PREFIX}<43 base64url characters>"
    if not entry.startswith(PREFIX):
        raise MasterKeyInvalid(f"{where} is not a Tongban master key ({expected})")
    body = entry[len(PREFIX) :]
    if not _BASE64URL.match(body):
        raise MasterKeyInvalid(f"{where} is not valid base64url ({expected})")
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise MasterKeyInvalid(f"{where} is not valid base64url ({expected})") from None
    if len(raw) != KEY_BYTES:
        raise MasterKeyInvalid(f"{where} has {len(raw)} bytes, not {KEY_BYTES} ({expected})")
    return raw

"""Key errors. Messages name the key (its ``kid``) and never any key material.

::

    KeysError
    ├── MasterKeyMissing       no master key in TONGBAN_MASTER_KEY or the key file
    ├── MasterKeyInvalid       the master key file or variable is malformed
    ├── KeyDecryptionFailed    a stored key does not open: wrong master key, or damaged
    ├── KeyNotFound            no such kid, or no active key for a purpose
    └── UnsupportedAlgorithm   an algorithm Tongban does not sign with
"""

from __future__ import annotations

from config.errors import TongbanError


class KeysError(TongbanError):
    code = "keys_error"
    http_status = 503


class MasterKeyMissing(KeysError):
    code = "master_key_missing"


class MasterKeyInvalid(KeysError):
    code = "master_key_invalid"


class KeyDecryptionFailed(KeysError):
    code = "key_decryption_failed"


class KeyNotFound(KeysError):
    code = "key_not_found"


class UnsupportedAlgorithm(KeysError):
    code = "unsupported_algorithm"
    http_status = 400

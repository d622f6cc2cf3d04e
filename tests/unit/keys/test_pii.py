"""Personal data at rest: AES-GCM under HKDF sub-keys, keyed lookup hashes, rotation."""

from __future__ import annotations

import pytest

from keys.master import MasterKeys
from keys.master import generate_master_key
from keys.master import parse_master_keys
from keys.pii import HASH_LENGTH
from keys.pii import PersonalDataCipher
from keys.pii import PersonalDataUndecryptable
from keys.pii import encrypted_by
from keys.pii import hashed_by

ID = "11010519491231002X"


@pytest.fixture
def old() -> MasterKeys:
    return parse_master_keys(generate_master_key(), "old")


@pytest.fixture
def new() -> MasterKeys:
    return parse_master_keys(generate_master_key(), "new")


def both(first: MasterKeys, second: MasterKeys) -> MasterKeys:
    return MasterKeys(first.keys + second.keys)


def test_round_trip_with_context(old: MasterKeys) -> None:
    cipher = PersonalDataCipher(old)
    blob = cipher.encrypt("id_number", ID, context=b"person:42")
    assert ID.encode() not in blob
    assert blob.startswith(b"TBP1")
    assert encrypted_by(blob) == old.primary.key_id
    assert cipher.decrypt("id_number", blob, context=b"person:42") == ID
    assert cipher.encrypt("id_number", ID) != cipher.encrypt("id_number", ID)  # Fresh nonce.


def test_unicode_values(old: MasterKeys) -> None:
    cipher = PersonalDataCipher(old)
    assert cipher.decrypt("name", cipher.encrypt("name", "买买提·艾力")) == "买买提·艾力"


@pytest.mark.parametrize(
    ("purpose", "context"),
    [("phone", b"person:42"), ("id_number", b"person:43"), ("id_number", b"")],
)
def test_blob_does_not_open_for_another_purpose_or_row(
    old: MasterKeys, purpose: str, context: bytes
) -> None:
    cipher = PersonalDataCipher(old)
    blob = cipher.encrypt("id_number", ID, context=b"person:42")
    with pytest.raises(PersonalDataUndecryptable) as info:
        cipher.decrypt(purpose, blob, context=context)
    assert info.value.reason == "damaged"


@pytest.mark.parametrize("position", [0, 5, 14, 30, -1])
def test_tampered_blob(old: MasterKeys, position: int) -> None:
    cipher = PersonalDataCipher(old)
    blob = bytearray(cipher.encrypt("id_number", ID))
    blob[position] ^= 0x01
    with pytest.raises(PersonalDataUndecryptable):
        cipher.decrypt("id_number", bytes(blob))


@pytest.mark.parametrize("blob", [b"", b"TBP1", b"XXXX" + bytes(40)])
def test_garbage_is_refused(old: MasterKeys, blob: bytes) -> None:
    with pytest.raises(PersonalDataUndecryptable, match="not a personal-data ciphertext"):
        PersonalDataCipher(old).decrypt("id_number", blob)
    assert encrypted_by(blob[:3]) is None


def test_rotation_first_key_encrypts_all_decrypt(old: MasterKeys, new: MasterKeys) -> None:
    before = PersonalDataCipher(old).encrypt("phone", "13812345678")
    rotated = PersonalDataCipher(both(new, old))
    assert rotated.decrypt("phone", before) == "13812345678"
    again = rotated.reencrypt("phone", before)
    assert encrypted_by(again) == new.primary.key_id
    with pytest.raises(PersonalDataUndecryptable) as info:
        PersonalDataCipher(new).decrypt("phone", before)
    assert info.value.reason == "wrong_master_key"
    assert info.value.code == "personal_data_undecryptable"


def test_lookup_hash_is_stable_keyed_and_tagged(old: MasterKeys, new: MasterKeys) -> None:
    cipher = PersonalDataCipher(old)
    stored = cipher.lookup_hash("id_number", ID)
    assert stored == PersonalDataCipher(old).lookup_hash("id_number", ID)
    assert stored != cipher.lookup_hash("phone", ID)
    assert stored != PersonalDataCipher(new).lookup_hash("id_number", ID)
    assert stored.startswith(f"tbh1.{old.primary.key_id}.")
    assert len(stored) == HASH_LENGTH
    assert hashed_by(stored) == old.primary.key_id
    assert ID not in stored


def test_lookup_during_rotation_finds_old_hashes(old: MasterKeys, new: MasterKeys) -> None:
    stored = PersonalDataCipher(old).lookup_hash("id_number", ID)
    rotated = PersonalDataCipher(both(new, old))
    candidates = rotated.lookup_hashes("id_number", ID)
    assert candidates[0] == rotated.lookup_hash("id_number", ID)
    assert stored in candidates
    assert rotated.needs_rehash(stored)
    assert not rotated.needs_rehash(candidates[0])
    assert rotated.needs_rehash("garbage")
    assert hashed_by("tbh1.short.x") is None


def test_purpose_is_validated(old: MasterKeys) -> None:
    with pytest.raises(ValueError, match="purpose must match"):
        PersonalDataCipher(old).lookup_hash("ID Number", ID)


def test_repr_shows_no_key(old: MasterKeys) -> None:
    text = repr(PersonalDataCipher(old))
    assert old.primary.key_id in text
    assert old.primary.key.hex() not in text


def test_hkdf_sub_key_matches_rfc5869_derivation(old: MasterKeys) -> None:
    # An independent derivation (RFC 5869 §2.2-2.3 with hmac) reproduces the lookup hash.
    import base64
    import hashlib
    import hmac

    prk = hmac.new(b"tongban-pii-v1", old.primary.key, hashlib.sha256).digest()
    okm = hmac.new(prk, b"tongban/pii/lookup/id_number\x01", hashlib.sha256).digest()
    mac = hmac.new(okm, ID.encode(), hashlib.sha256).digest()
    expected = base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    assert PersonalDataCipher(old).lookup_hash("id_number", ID).endswith("." + expected)

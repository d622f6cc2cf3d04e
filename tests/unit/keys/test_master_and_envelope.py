from __future__ import annotations

from pathlib import Path

import pytest

from keys.envelope import EnvelopeError
from keys.envelope import open_sealed
from keys.envelope import seal
from keys.envelope import wrapped_by
from keys.errors import MasterKeyInvalid
from keys.errors import MasterKeyMissing
from keys.master import generate_master_key
from keys.master import load_master_keys
from keys.master import parse_master_keys
from keys.master import write_master_key_file


def test_generated_key_parses_back() -> None:
    written = generate_master_key()
    assert written.startswith("tbmk1.")
    keys = parse_master_keys(written, "test")
    assert len(keys.primary.key) == 32


def test_comments_and_several_keys(tmp_path: Path) -> None:
    first, second = generate_master_key(), generate_master_key()
    text = f"# a comment, with a comma\n{first}\n\n{second}  # old key\n"
    keys = parse_master_keys(text, "file")
    assert [k.key_id for k in keys.keys] == [
        parse_master_keys(first, "x").primary.key_id,
        parse_master_keys(second, "x").primary.key_id,
    ]


def test_environment_takes_precedence_over_the_file(tmp_path: Path) -> None:
    key_file = tmp_path / "master.key"
    write_master_key_file(key_file)
    from_env = generate_master_key()
    keys = load_master_keys({"TONGBAN_MASTER_KEY": from_env}, key_file)
    assert keys.primary.key_id == parse_master_keys(from_env, "x").primary.key_id


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tbmk0.AAAA", "is not a Tongban master key"),
        ("tbmk1.!!!!", "not valid base64url"),
        ("tbmk1.AAAA", "has 3 bytes, not 32"),
        ("# only a comment\n", "holds no master key"),
    ],
)
def test_malformed_keys_are_refused_without_echoing_them(text: str, message: str) -> None:
    with pytest.raises(MasterKeyInvalid, match=message) as info:
        parse_master_keys(text, "master key file x")
    assert "AAAA" not in info.value.message
    assert "!!!!" not in info.value.message


def test_missing_key_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(MasterKeyMissing, match="run `tongban init` or set TONGBAN_MASTER_KEY"):
        load_master_keys({}, tmp_path / "absent.key")


def test_key_file_is_private_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    write_master_key_file(path)
    assert path.stat().st_mode & 0o777 == 0o600
    before = path.read_bytes()
    with pytest.raises(FileExistsError):
        write_master_key_file(path)
    assert path.read_bytes() == before


def test_repr_never_shows_the_key() -> None:
    keys = parse_master_keys(generate_master_key(), "x")
    assert keys.primary.key.hex() not in repr(keys)


# -- envelope --------------------------------------------------------------------------


@pytest.fixture
def master() -> object:
    return parse_master_keys(generate_master_key(), "test")


def test_seal_then_open_round_trips(master: object) -> None:
    blob = seal(master, b"private key bytes", b"kid-1")  # type: ignore[arg-type]
    assert b"private key bytes" not in blob
    assert open_sealed(master, blob, b"kid-1") == b"private key bytes"  # type: ignore[arg-type]


def test_each_seal_is_different(master: object) -> None:
    assert seal(master, b"x", b"a") != seal(master, b"x", b"a")  # type: ignore[arg-type]


def test_wrong_master_key_is_named_as_such(master: object) -> None:
    blob = seal(master, b"secret", b"aad")  # type: ignore[arg-type]
    other = parse_master_keys(generate_master_key(), "other")
    with pytest.raises(EnvelopeError) as info:
        open_sealed(other, blob, b"aad")
    assert info.value.reason == "wrong_master_key"


def test_blob_moved_to_another_key_does_not_open(master: object) -> None:
    blob = seal(master, b"secret", b"kid-1")  # type: ignore[arg-type]
    with pytest.raises(EnvelopeError, match="damaged"):
        open_sealed(master, blob, b"kid-2")  # type: ignore[arg-type]


@pytest.mark.parametrize("position", [10, 30, 70, -1])
def test_any_flipped_byte_is_detected(master: object, position: int) -> None:
    blob = bytearray(seal(master, b"secret key material", b"aad"))  # type: ignore[arg-type]
    blob[position] ^= 0x01
    with pytest.raises(EnvelopeError):
        open_sealed(master, bytes(blob), b"aad")  # type: ignore[arg-type]


@pytest.mark.parametrize("blob", [b"", b"TBE1", b"XXXX" + bytes(100)])
def test_truncated_or_foreign_blobs_are_damaged(master: object, blob: bytes) -> None:
    with pytest.raises(EnvelopeError, match="damaged"):
        open_sealed(master, blob, b"aad")  # type: ignore[arg-type]


def test_rotation_old_blobs_open_with_the_old_key_listed_second(master: object) -> None:
    blob = seal(master, b"secret", b"aad")  # type: ignore[arg-type]
    new = generate_master_key()
    old_id = master.primary.key_id  # type: ignore[attr-defined]
    both = parse_master_keys(new, "x").keys + master.keys  # type: ignore[attr-defined]
    from keys.master import MasterKeys

    rotated = MasterKeys(both)
    assert open_sealed(rotated, blob, b"aad") == b"secret"
    assert wrapped_by(blob) == old_id
    assert wrapped_by(seal(rotated, b"secret", b"aad")) == rotated.primary.key_id

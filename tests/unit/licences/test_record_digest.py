"""The record digest: deterministic CBOR of the full licence record, then SHA-256."""

from __future__ import annotations

import hashlib

import cbor2
import pytest
from licence_support import example_licence
from licence_support import load_vector

from licences.deterministic_cbor import DeterministicCBORError
from licences.errors import RecordDigestMismatchError
from licences.record_digest import check_record_digest
from licences.record_digest import encode_record
from licences.record_digest import record_digest

VECTORS = load_vector("record-digests.json")["vectors"]


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_vectors(vector: dict[str, object]) -> None:
    record = vector["record"]
    assert isinstance(record, dict)
    assert encode_record(record).hex() == vector["cbor_hex"]
    assert record_digest(record).hex() == vector["sha256_hex"]
    # Text keys only: cbor2's canonical mode is an independent implementation of the same
    # bytes here, and hashlib the same digest.
    assert cbor2.dumps(record, canonical=True).hex() == vector["cbor_hex"]
    assert (
        hashlib.sha256(bytes.fromhex(str(vector["cbor_hex"]))).hexdigest() == vector["sha256_hex"]
    )


def test_key_order_in_the_input_does_not_matter() -> None:
    record = example_licence()["record"]
    assert record_digest(dict(reversed(record.items()))) == record_digest(record)


def test_any_field_change_changes_the_digest() -> None:
    record = example_licence()["record"]
    digest = record_digest(record)
    for name in record:
        changed = {**record, name: "x"}
        assert record_digest(changed) != digest, name


def test_check_accepts_the_matching_record_and_rejects_an_altered_one() -> None:
    record = example_licence()["record"]
    check_record_digest(record, record_digest(record))
    altered = {**record, "registered_capital": "伍仟万元整"}
    with pytest.raises(RecordDigestMismatchError) as caught:
        check_record_digest(altered, record_digest(record))
    assert caught.value.code == "record_digest_mismatch"


@pytest.mark.parametrize(
    "record",
    [
        {"registered_capital": 5000000.0},
        {1: "numeric top-level key"},
    ],
)
def test_records_outside_the_data_model_are_refused(record: dict[object, object]) -> None:
    with pytest.raises(DeterministicCBORError):
        record_digest(record)  # type: ignore[arg-type]

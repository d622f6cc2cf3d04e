"""Token Status List: the draft's bit-packing vectors, the signed JWT, and index allocation."""

from __future__ import annotations

import random
import re
import zlib
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import jwt
import pytest
from licence_support import KEY_VALID_FROM
from licence_support import SoftwareSigner
from licence_support import fixed_signer
from licence_support import load_vector
from licence_support import trusted_key

from licences.errors import StatusListError
from licences.errors import StatusListExpiredError
from licences.errors import StatusListFullError
from licences.public_keys import TrustedKey
from licences.public_keys import b64url_decode
from licences.public_keys import b64url_encode
from licences.status_list import MAX_LIST_BYTES
from licences.status_list import STATUS_LIST_TYP
from licences.status_list import IndexAllocator
from licences.status_list import Status
from licences.status_list import StatusList
from licences.status_list import sign_status_list
from licences.status_list import verify_status_list

URI = "https://licence.example.gov.cn/s/3"
ISSUED = datetime(2026, 1, 1, tzinfo=UTC)
EXPIRES = ISSUED + timedelta(days=1)

# draft-ietf-oauth-status-list-17 §4.1: the two worked examples.
ONE_BIT = [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]
TWO_BIT = [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3]

# draft-ietf-oauth-status-list-17 Appendix "Test vectors": 2**20 entries, these set.
LONG_ONE_BIT = {
    "lst": "eNrt3AENwCAMAEGogklACtKQPg9LugC9k_ACvreiogEAAKkeCQAAAAAAAAAAAAAAAAAAAIBylgQAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAXG9IAAAAAAAAAPwsJAAAAAAAAAAAAAAAvhsSAAAA"
    "AAAAAAAA7KpLAAAAAAAAAAAAAAAAAAAAAJsLCQAAAAAAAAAAADjelAAAAAAAAAAAKjDMAQAAAACAZC8L2AEb",
    "set": {
        0: 1,
        1993: 1,
        25460: 1,
        159495: 1,
        495669: 1,
        554353: 1,
        645645: 1,
        723232: 1,
        854545: 1,
        934534: 1,
        1000345: 1,
    },
}
LONG_TWO_BIT = {
    "lst": "eNrt2zENACEQAEEuoaBABP5VIO01fCjIHTMStt9ovGVIAAAAAABAbiEBAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    "AAAAAAAAAAAAAEB5WwIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAID0ugQAAAAAAAAAAAAAAAAAQG12SgAAAAAAAAAAAAAA"
    "AAAAAAAAAAAAAOCSIQEAAAAAAAAAAAAAAAAAAAAAAAD8ExIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    "AAAAwJEuAQAAAAAAAAAAAAAAAAAAAAAAAMB9SwIAAAAAAAAAAAAAAAAAAACoYUoAAAAAAAAAAAAAAEBqH81g"
    "AQw",
    "set": {
        0: 1,
        1993: 2,
        25460: 1,
        159495: 3,
        495669: 1,
        554353: 1,
        645645: 2,
        723232: 1,
        854545: 1,
        934534: 2,
        1000345: 3,
    },
}


class TestBitArray:
    def test_one_bit_example_packs_lsb_first(self) -> None:
        status_list = StatusList(size=16, bits=1)
        for index, value in enumerate(ONE_BIT):
            status_list[index] = value
        assert status_list.to_bytes() == bytes([0xB9, 0xA3])
        draft = StatusList.decompress(bytes.fromhex("78dadbb918000217015d"), 1)
        assert draft.to_bytes() == status_list.to_bytes()
        assert [draft[i] for i in range(16)] == ONE_BIT
        assert StatusList.decompress(b64url_decode("eNrbuRgAAhcBXQ"), 1).to_bytes() == b"\xb9\xa3"

    def test_two_bit_example_packs_lsb_first(self) -> None:
        status_list = StatusList(size=12, bits=2)
        for index, value in enumerate(TWO_BIT):
            status_list[index] = value
        assert status_list.to_bytes() == bytes([0xC9, 0x44, 0xF9])
        draft = StatusList.decompress(bytes.fromhex("78da3be9f2130003df0207"), 2)
        assert [draft[i] for i in range(12)] == TWO_BIT
        assert StatusList.decompress(b64url_decode("eNo76fITAAPfAgc"), 2).to_bytes() == (
            b"\xc9\x44\xf9"
        )

    @pytest.mark.parametrize(("vector", "bits"), [(LONG_ONE_BIT, 1), (LONG_TWO_BIT, 2)])
    def test_draft_test_vectors(self, vector: dict[str, object], bits: int) -> None:
        lst, expected = vector["lst"], vector["set"]
        assert isinstance(lst, str)
        assert isinstance(expected, dict)
        status_list = StatusList.decompress(b64url_decode(lst), bits)
        assert status_list.size == 2**20
        for index, value in expected.items():
            assert status_list[index] == value
        assert sum(1 for i in range(status_list.size) if status_list[i]) == len(expected)
        ours = StatusList(2**20, bits)
        for index, value in expected.items():
            ours[index] = value
        assert ours.to_bytes() == status_list.to_bytes()

    @pytest.mark.parametrize("bits", [1, 2, 4, 8])
    def test_every_width_round_trips(self, bits: int) -> None:
        rng = random.Random(bits)
        values = [rng.randrange(1 << bits) for _ in range(64)]
        status_list = StatusList(size=64, bits=bits)
        for index, value in enumerate(values):
            status_list[index] = value
        again = StatusList.decompress(status_list.compress(), bits)
        assert [again[i] for i in range(64)] == values

    def test_setting_one_entry_leaves_its_neighbours(self) -> None:
        status_list = StatusList(size=8, bits=2)
        for index in range(8):
            status_list[index] = Status.SUSPENDED
        status_list[5] = Status.VALID
        assert [status_list[i] for i in range(8)] == [2, 2, 2, 2, 2, 0, 2, 2]

    def test_a_sparse_default_list_is_small(self) -> None:
        status_list = StatusList()
        for index in range(0, status_list.size, 997):
            status_list[index] = Status.INVALID
        assert status_list.size == 131072
        assert len(status_list.compress()) < 2048

    @pytest.mark.parametrize(
        ("size", "bits", "message"),
        [(8, 3, "bits"), (6, 2, "multiple of 4"), (0, 1, "positive"), (2**26, 1, "at most")],
    )
    def test_bad_shapes(self, size: int, bits: int, message: str) -> None:
        with pytest.raises(ValueError, match=message):
            StatusList(size, bits)

    def test_bad_entries(self) -> None:
        status_list = StatusList(size=8, bits=1)
        with pytest.raises(IndexError):
            status_list[8]
        with pytest.raises(IndexError):
            status_list[-1]
        with pytest.raises(ValueError, match="does not fit"):
            status_list[0] = 2
        with pytest.raises(TypeError):
            status_list[0] = "1"  # type: ignore[assignment]

    def test_inflating_more_than_the_limit_is_refused(self) -> None:
        bomb = zlib.compress(bytes(MAX_LIST_BYTES + 1), 9)
        assert len(bomb) < 10_000
        with pytest.raises(ValueError, match="inflates to more than"):
            StatusList.decompress(bomb, 1)

    @pytest.mark.parametrize(
        "data",
        [b"", b"not zlib", zlib.compress(b"\x00") + b"extra", zlib.compress(b"\x00" * 64)[:-3]],
    )
    def test_broken_zlib_is_refused(self, data: bytes) -> None:
        with pytest.raises(ValueError, match=r"ZLIB|byte"):
            StatusList.decompress(data, 1)


class TestIndexAllocator:
    def test_hands_out_every_index_exactly_once(self) -> None:
        allocator = IndexAllocator(64, rng=random.Random(1))
        drawn = [allocator.allocate() for _ in range(64)]
        assert sorted(drawn) == list(range(64))
        assert drawn != list(range(64))
        with pytest.raises(StatusListFullError):
            allocator.allocate()

    def test_never_returns_an_index_given_as_allocated(self) -> None:
        taken = set(range(0, 1000, 2))
        allocator = IndexAllocator(1000, taken, rng=random.Random(2))
        drawn = {allocator.allocate() for _ in range(500)}
        assert drawn.isdisjoint(taken)
        assert allocator.free == 0

    def test_indices_are_spread_over_the_list(self) -> None:
        allocator = IndexAllocator(1 << 20)
        drawn = [allocator.allocate() for _ in range(200)]
        assert max(drawn) > 1 << 19
        assert min(drawn) < 1 << 19

    def test_bad_seed_indices(self) -> None:
        with pytest.raises(ValueError, match="outside"):
            IndexAllocator(10, [10])

    def test_is_allocated(self) -> None:
        allocator = IndexAllocator(4, [1])
        assert allocator.is_allocated(1)
        assert not allocator.is_allocated(2)


@pytest.fixture
def status_keys(
    eddsa_signer: SoftwareSigner, es256_signer: SoftwareSigner
) -> dict[str, TrustedKey]:
    return {key.kid: key for key in (trusted_key(eddsa_signer), trusted_key(es256_signer))}


def _signed(signer: SoftwareSigner, **changes: object) -> str:
    status_list = StatusList(size=1024, bits=2)
    status_list[7] = Status.INVALID
    status_list[9] = Status.SUSPENDED
    arguments: dict[str, object] = {
        "uri": URI,
        "signer": signer,
        "issued_at": ISSUED,
        "expires_at": EXPIRES,
        "ttl": 3600,
    }
    arguments.update(changes)
    return sign_status_list(status_list, **arguments)  # type: ignore[arg-type]


class TestStatusListToken:
    @pytest.mark.parametrize("signer_name", ["eddsa_signer", "es256_signer"])
    def test_sign_then_verify(
        self, request: pytest.FixtureRequest, signer_name: str, status_keys: dict[str, TrustedKey]
    ) -> None:
        signer: SoftwareSigner = request.getfixturevalue(signer_name)
        token = verify_status_list(_signed(signer), keys=status_keys, now=ISSUED, uri=URI)
        assert (token.uri, token.ttl, token.kid) == (URI, 3600, signer.kid)
        assert (token.issued_at, token.expires_at) == (ISSUED, EXPIRES)
        assert token.status_of(7, now=ISSUED) == Status.INVALID
        assert token.status_of(9, now=ISSUED) == Status.SUSPENDED
        assert token.status_of(8, now=ISSUED) == Status.VALID

    def test_the_jwt_is_what_the_draft_describes(self, eddsa_signer: SoftwareSigner) -> None:
        token = _signed(eddsa_signer)
        header = jwt.get_unverified_header(token)
        assert header == {"alg": "EdDSA", "kid": eddsa_signer.kid, "typ": "statuslist+jwt"}
        # PyJWT, on its own, accepts the signature and reads the §5.1 claims.
        claims = jwt.decode(
            token,
            eddsa_signer.public_key(),  # type: ignore[arg-type]
            algorithms=["EdDSA"],
            options={"verify_exp": False},
        )
        assert set(claims) == {"sub", "iat", "exp", "ttl", "status_list"}
        assert claims["status_list"]["bits"] == 2
        assert claims["exp"] == int(EXPIRES.timestamp())

    def test_expired_lists_are_refused(
        self, eddsa_signer: SoftwareSigner, status_keys: dict[str, TrustedKey]
    ) -> None:
        with pytest.raises(StatusListExpiredError):
            verify_status_list(_signed(eddsa_signer), keys=status_keys, now=EXPIRES)
        token = verify_status_list(_signed(eddsa_signer), keys=status_keys, now=ISSUED)
        with pytest.raises(StatusListExpiredError):
            token.status_of(7, now=EXPIRES + timedelta(seconds=1))

    def test_out_of_range_index_gives_no_answer(
        self, eddsa_signer: SoftwareSigner, status_keys: dict[str, TrustedKey]
    ) -> None:
        token = verify_status_list(_signed(eddsa_signer), keys=status_keys, now=ISSUED)
        with pytest.raises(StatusListError, match="outside status list"):
            token.status_of(1024, now=ISSUED)

    def test_uri_must_match(
        self, eddsa_signer: SoftwareSigner, status_keys: dict[str, TrustedKey]
    ) -> None:
        with pytest.raises(StatusListError, match="expected"):
            verify_status_list(
                _signed(eddsa_signer), keys=status_keys, now=ISSUED, uri=URI.replace("3", "4")
            )

    def test_unknown_signer(self, forger_signer: SoftwareSigner) -> None:
        key = trusted_key(fixed_signer("licence-eddsa"))
        with pytest.raises(StatusListError, match="not trusted"):
            verify_status_list(_signed(forger_signer), keys={key.kid: key}, now=ISSUED)

    def test_same_kid_other_key(
        self, forger_signer: SoftwareSigner, status_keys: dict[str, TrustedKey]
    ) -> None:
        # The forger's JOSE kid equals the trusted ES256 key's.
        with pytest.raises(StatusListError, match="signature does not verify"):
            verify_status_list(_signed(forger_signer), keys=status_keys, now=ISSUED)

    def test_tampered_list(
        self, eddsa_signer: SoftwareSigner, status_keys: dict[str, TrustedKey]
    ) -> None:
        header, payload, signature = _signed(eddsa_signer).split(".")
        claims = jwt.utils.base64url_decode(payload).replace(b'"ttl":3600', b'"ttl":3601')
        forged = f"{header}.{b64url_encode(claims)}.{signature}"
        with pytest.raises(StatusListError, match="signature"):
            verify_status_list(forged, keys=status_keys, now=ISSUED)

    def test_key_must_have_been_valid_at_iat(self, eddsa_signer: SoftwareSigner) -> None:
        key = trusted_key(
            eddsa_signer, valid_from=KEY_VALID_FROM, valid_until=ISSUED - timedelta(1)
        )
        with pytest.raises(StatusListError, match="not valid when"):
            verify_status_list(_signed(eddsa_signer), keys={key.kid: key}, now=ISSUED)

    def test_other_token_types_are_refused(
        self, eddsa_signer: SoftwareSigner, status_keys: dict[str, TrustedKey]
    ) -> None:
        from licences import _jose

        token = _jose.sign_jwt({"sub": URI}, eddsa_signer, typ="tongban-trust-list+jwt")
        with pytest.raises(StatusListError, match=re.escape(STATUS_LIST_TYP)):
            verify_status_list(token, keys=status_keys, now=ISSUED)

    @pytest.mark.parametrize("token", ["", "a.b", "a.b.c", "e30.e30.", "x" * 10])
    def test_garbage_is_refused(self, token: str, status_keys: dict[str, TrustedKey]) -> None:
        with pytest.raises(StatusListError):
            verify_status_list(token, keys=status_keys, now=ISSUED)

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"uri": "http://x/s/1"}, "https"),
            ({"ttl": 0}, "ttl"),
            ({"expires_at": ISSUED}, "after issued_at"),
        ],
    )
    def test_bad_inputs_are_refused_when_signing(
        self, eddsa_signer: SoftwareSigner, changes: dict[str, object], message: str
    ) -> None:
        with pytest.raises(ValueError, match=message):
            _signed(eddsa_signer, **changes)


def test_vector_is_reproduced_and_verifies() -> None:
    vector = load_vector("status-list.json")
    signer = fixed_signer(vector["key"])
    key = trusted_key(signer)
    token = verify_status_list(vector["token"], keys={key.kid: key}, now=ISSUED)
    for index, value in vector["statuses"].items():
        assert token.status_of(int(index), now=ISSUED) == value
    status_list = StatusList(size=1 << 20, bits=2)
    for index, value in vector["statuses"].items():
        status_list[int(index)] = value
    again = sign_status_list(
        status_list, uri=token.uri, signer=signer, issued_at=ISSUED, expires_at=EXPIRES, ttl=3600
    )
    assert again == vector["token"]

"""The QR credential codec: round trips, URL forms, and a precise error for each bad input."""

from __future__ import annotations

import dataclasses
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given
from hypothesis import strategies as st
from licence_support import KEY_VALID_FROM
from licence_support import SoftwareSigner
from licence_support import example_licence
from licence_support import trusted_key

from licences import claims as claim_set
from licences import codec
from licences import cose_sign1
from licences import decimal_digits
from licences import deterministic_cbor
from licences.codec import LicenceClaims
from licences.codec import StatusReference
from licences.errors import BadVersionError
from licences.errors import CredentialError
from licences.errors import KeyExpiredError
from licences.errors import MalformedError
from licences.errors import OversizedError
from licences.errors import TamperedError
from licences.errors import TruncatedError
from licences.errors import UntrustedKeyError
from licences.errors import WrongAlgorithmError
from licences.public_keys import TrustedKey
from licences.public_keys import cose_kid_of

BASE_URL = example_licence()["credential"]["base_url"]


def as_credential(message: bytes) -> str:
    return codec.FORMAT_VERSION + decimal_digits.encode_digits(message)


def signed(
    payload: bytes,
    signer: SoftwareSigner,
    *,
    alg: int = -7,
    kid: bytes | None = None,
    unprotected: dict[int, object] | None = None,
    external_aad: bytes = codec.EXTERNAL_AAD,
) -> str:
    """A credential with any payload and header, signed for real by ``signer``."""
    message = cose_sign1.sign1(
        payload,
        signer,
        protected_header={1: alg, 4: cose_kid_of(signer.public_key()) if kid is None else kid},
        unprotected_header=unprotected,
        external_aad=external_aad,
    )
    return as_credential(message)


def message_of(url: str) -> bytes:
    return decimal_digits.decode_digits(codec.extract_digits(url)[2:])


class TestRoundTrip:
    @pytest.mark.parametrize("signer_name", ["es256_signer", "eddsa_signer"])
    def test_verify_returns_the_encoded_claims_and_the_issuer(
        self,
        request: pytest.FixtureRequest,
        signer_name: str,
        claims: LicenceClaims,
        trust: dict[bytes, TrustedKey],
    ) -> None:
        signer: SoftwareSigner = request.getfixturevalue(signer_name)
        url = codec.encode(claims, signer, BASE_URL)
        assert url.startswith(BASE_URL + "01")
        verified = codec.verify(url, trust)
        assert verified.claims == claims
        assert verified.key.kid == signer.kid
        assert verified.issuer_name == "杭州市西湖区市场监督管理局"

    def test_a_licence_without_end_date_round_trips(
        self, es256_signer: SoftwareSigner, claims: LicenceClaims, trust: dict[bytes, TrustedKey]
    ) -> None:
        open_ended = dataclasses.replace(claims, not_after=None)
        verified = codec.verify(codec.encode(open_ended, es256_signer, BASE_URL), trust)
        assert verified.claims.not_after is None

    def test_eddsa_encoding_is_deterministic(
        self, eddsa_signer: SoftwareSigner, claims: LicenceClaims
    ) -> None:
        assert codec.encode(claims, eddsa_signer, BASE_URL) == codec.encode(
            claims, eddsa_signer, BASE_URL
        )

    def test_decode_shows_claims_without_verifying(
        self, es256_signer: SoftwareSigner, claims: LicenceClaims
    ) -> None:
        unverified = codec.decode(codec.encode(claims, es256_signer, BASE_URL))
        assert unverified.version == "01"
        assert unverified.alg == "ES256"
        assert unverified.cose_alg == -7
        assert unverified.kid == cose_kid_of(es256_signer.public_key())
        assert unverified.unverified_claims == claims

    def test_times_come_back_in_utc_as_the_same_instants(
        self, es256_signer: SoftwareSigner, claims: LicenceClaims, trust: dict[bytes, TrustedKey]
    ) -> None:
        verified = codec.verify(codec.encode(claims, es256_signer, BASE_URL), trust).claims
        assert verified.issued_at.tzinfo == UTC
        assert verified.issued_at == datetime(2025, 3, 18, 2, 30, tzinfo=UTC)

    def test_payload_is_the_generic_deterministic_encoding(self, claims: LicenceClaims) -> None:
        assert claims.to_cwt_bytes() == deterministic_cbor.encode(claims.to_cwt())

    def test_example_credential_size(
        self, es256_signer: SoftwareSigner, claims: LicenceClaims
    ) -> None:
        url = codec.encode(claims, es256_signer, BASE_URL)
        # Tag and array (2), protected header (1 + 13), empty map (1), payload head (2),
        # signature (2 + 64): 85 bytes around the claims.
        assert len(message_of(url)) == len(claims.to_cwt_bytes()) + 85
        assert len(url) < 820


_text = st.text(
    st.characters(codec="utf-8", categories=["L", "N", "P", "S"]), min_size=1, max_size=20
)
_times = st.integers(0, 4_000_000_000).map(lambda s: datetime.fromtimestamp(s, tz=UTC))


@st.composite
def licence_claims(draw: st.DrawFn) -> LicenceClaims:
    not_before = draw(_times)
    not_after = draw(st.none() | _times.filter(lambda t: t >= not_before))
    return LicenceClaims(
        licence_id=draw(_text),
        holder_code=draw(st.text("0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=1, max_size=32)),
        holder_name=draw(_text),
        not_before=not_before,
        not_after=not_after,
        issued_at=draw(_times),
        record_digest=draw(st.binary(min_size=32, max_size=32)),
        status=StatusReference(
            draw(st.integers(0, 2**32 - 1)), "https://" + draw(st.text("abc./0123", max_size=30))
        ),
    )


@given(licence_claims())
def test_any_claims_round_trip_through_the_payload(claims: LicenceClaims) -> None:
    payload = claims.to_cwt_bytes()
    assert payload == deterministic_cbor.encode(claims.to_cwt())
    assert claim_set._parse_claims(payload) == claims


class TestURLForms:
    @pytest.fixture
    def url(self, es256_signer: SoftwareSigner, claims: LicenceClaims) -> str:
        return codec.encode(claims, es256_signer, BASE_URL)

    def test_fragment_form_encodes_and_verifies(
        self, es256_signer: SoftwareSigner, claims: LicenceClaims, trust: dict[bytes, TrustedKey]
    ) -> None:
        url = codec.encode(claims, es256_signer, "https://licence.example.gov.cn/v#")
        assert codec.verify(url, trust).claims == claims

    @pytest.mark.parametrize(
        "transform",
        [
            lambda u: u,
            lambda u: u.replace("/v/", "/v#"),
            lambda u: u.split("/")[-1],
            lambda u: u.replace("https://licence.example.gov.cn", "HTTPS://LICENCE.EXAMPLE.GOV.CN"),
            lambda u: f"  {u}\r\n",
            lambda u: u.encode("ascii"),
            lambda u: u.replace("https://licence.example.gov.cn/v/", "https://other.example/a/b/"),
        ],
    )
    def test_every_accepted_form_yields_the_same_digits(self, url: str, transform: object) -> None:
        assert callable(transform)
        assert codec.extract_digits(transform(url)) == url.rsplit("/", 1)[1]

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("http://licence.example.gov.cn/v/0123", "https"),
            ("https://licence.example.gov.cn/v/", "no digits"),
            ("https://licence.example.gov.cn/v/01?x=1", "end in the ASCII digits"),
            ("https://licence.example.gov.cn/v/01 23", "end in the ASCII digits"),
            ("０１２３", "end in the ASCII digits"),
            ("", "no digits"),
        ],
    )
    def test_text_that_is_not_a_credential_url(self, text: str, message: str) -> None:
        with pytest.raises(MalformedError, match=message):
            codec.extract_digits(text)

    def test_non_ascii_bytes_are_malformed(self) -> None:
        with pytest.raises(MalformedError, match="not ASCII"):
            codec.extract_digits(b"https://x/v/01" + b"\xff")

    @pytest.mark.parametrize("value", [None, 12345, ["01"]])
    def test_non_text_input_is_malformed(self, value: object) -> None:
        with pytest.raises(MalformedError, match="must be text"):
            codec.extract_digits(value)  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        "base_url",
        [
            "http://licence.example.gov.cn/v/",
            "https://licence.example.gov.cn/v",
            "https://licence.example.gov.cn/v/?a=",
            "https://licence.example.gov.cn/#/v/",
            "https://证照.example/v/",
            "https://licence.example.gov.cn/ v/",
        ],
    )
    def test_unusable_base_urls_are_refused(
        self, base_url: str, es256_signer: SoftwareSigner, claims: LicenceClaims
    ) -> None:
        with pytest.raises(ValueError, match="base_url"):
            codec.encode(claims, es256_signer, base_url)


class TestEncodeRefuses:
    def test_rs256_signatures_are_too_large_for_a_qr(self, claims: LicenceClaims) -> None:
        signer = SoftwareSigner(rsa.generate_private_key(65537, 2048), "rsa", "RS256")
        with pytest.raises(ValueError, match="use ES256 or EdDSA"):
            codec.encode(claims, signer, BASE_URL)

    def test_a_signer_that_returns_der_is_caught(
        self, es256_signer: SoftwareSigner, claims: LicenceClaims
    ) -> None:
        class DERSigner(SoftwareSigner):
            def sign(self, data: bytes) -> bytes:
                return b"\x30" + super().sign(data)

        signer = DERSigner(es256_signer._key, es256_signer.kid, "ES256")
        with pytest.raises(ValueError, match="not 64 bytes"):
            codec.encode(claims, signer, BASE_URL)

    def test_oversized_claims(self, es256_signer: SoftwareSigner, claims: LicenceClaims) -> None:
        huge = dataclasses.replace(claims, holder_name="证" * 100, licence_id="照" * 64)
        with pytest.raises(OversizedError, match="at most 512"):
            codec.encode(huge, es256_signer, BASE_URL)


class TestClaimValidation:
    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"issued_at": datetime(2025, 3, 18, 10, 30)}, "timezone-aware"),
            ({"issued_at": datetime(2025, 3, 18, 10, 30, 0, 5, tzinfo=UTC)}, "whole second"),
            ({"not_before": datetime(1969, 12, 31, tzinfo=UTC)}, "range"),
            ({"not_after": datetime(2019, 3, 14, tzinfo=UTC)}, "before not_before"),
            ({"record_digest": b"\x00" * 31}, "32 bytes"),
            ({"holder_name": ""}, "1 to 100"),
            ({"holder_name": "公司\n"}, "control characters"),
            ({"holder_name": " 公司"}, "whitespace"),
            ({"holder_code": "９１"}, "control characters"),
            ({"licence_id": "x" * 65}, "1 to 64"),
            ({"status": "https://x"}, "StatusReference"),
        ],
    )
    def test_bad_claims_are_refused(
        self, claims: LicenceClaims, change: dict[str, Any], message: str
    ) -> None:
        with pytest.raises(ValueError, match=message):
            dataclasses.replace(claims, **change)

    @pytest.mark.parametrize(
        ("index", "uri", "message"),
        [
            (-1, "https://x/s/1", "index"),
            (2**32, "https://x/s/1", "index"),
            (True, "https://x/s/1", "index"),
            (1, "http://x/s/1", "https"),
            (1, "https://x/s 1", "https"),
        ],
    )
    def test_bad_status_references_are_refused(self, index: int, uri: str, message: str) -> None:
        with pytest.raises(ValueError, match=message):
            StatusReference(index, uri)

    def test_other_timezones_are_fine(self, claims: LicenceClaims) -> None:
        beijing = timezone(timedelta(hours=8))
        moved = dataclasses.replace(claims, issued_at=claims.issued_at.astimezone(beijing))
        assert moved.to_cwt_bytes() == claims.to_cwt_bytes()


class TestVerifyRejects:
    def test_untrusted_key(self, es256_signer: SoftwareSigner, claims: LicenceClaims) -> None:
        with pytest.raises(UntrustedKeyError, match="not in the trust list"):
            codec.verify(codec.encode(claims, es256_signer, BASE_URL), {})

    def test_untrusted_key_claiming_a_trusted_kid(
        self,
        forger_signer: SoftwareSigner,
        es256_signer: SoftwareSigner,
        claims: LicenceClaims,
        trust: dict[bytes, TrustedKey],
    ) -> None:
        forged = signed(
            claims.to_cwt_bytes(), forger_signer, kid=cose_kid_of(es256_signer.public_key())
        )
        with pytest.raises(TamperedError, match="signature does not verify"):
            codec.verify(forged, trust)

    def test_every_single_byte_change_is_caught(
        self, eddsa_signer: SoftwareSigner, claims: LicenceClaims, trust: dict[bytes, TrustedKey]
    ) -> None:
        message = message_of(codec.encode(claims, eddsa_signer, BASE_URL))
        for position in range(len(message)):
            changed = bytearray(message)
            changed[position] ^= 0x01
            with pytest.raises(CredentialError):
                codec.verify(as_credential(bytes(changed)), trust)

    def test_payload_changes_are_tampering(
        self, es256_signer: SoftwareSigner, claims: LicenceClaims, trust: dict[bytes, TrustedKey]
    ) -> None:
        message = message_of(codec.encode(claims, es256_signer, BASE_URL))
        name = claims.holder_name.encode()
        changed = message.replace(name, name.replace("云帆".encode(), "云航".encode()))
        assert changed != message
        with pytest.raises(TamperedError):
            codec.verify(as_credential(changed), trust)

    def test_a_different_external_aad_is_tampering(
        self, es256_signer: SoftwareSigner, claims: LicenceClaims, trust: dict[bytes, TrustedKey]
    ) -> None:
        other = signed(claims.to_cwt_bytes(), es256_signer, external_aad=b"tongban-licence-qr:02")
        with pytest.raises(TamperedError):
            codec.verify(other, trust)

    def test_alg_differing_from_the_trusted_key(
        self, es256_signer: SoftwareSigner, claims: LicenceClaims, trust: dict[bytes, TrustedKey]
    ) -> None:
        relabelled = signed(claims.to_cwt_bytes(), es256_signer, alg=-8)
        with pytest.raises(WrongAlgorithmError, match="says EdDSA"):
            codec.verify(relabelled, trust)

    @pytest.mark.parametrize("alg", [-257, -35, 0, 1])
    def test_unsupported_algorithms(
        self,
        alg: int,
        es256_signer: SoftwareSigner,
        claims: LicenceClaims,
        trust: dict[bytes, TrustedKey],
    ) -> None:
        with pytest.raises(WrongAlgorithmError, match="not ES256"):
            codec.verify(signed(claims.to_cwt_bytes(), es256_signer, alg=alg), trust)

    def test_key_not_yet_valid_when_signed(
        self, es256_signer: SoftwareSigner, claims: LicenceClaims
    ) -> None:
        key = trusted_key(es256_signer, valid_from=datetime(2025, 6, 1, tzinfo=UTC))
        url = codec.encode(claims, es256_signer, BASE_URL)
        with pytest.raises(KeyExpiredError, match="outside the validity"):
            codec.verify(url, {key.cose_kid: key})

    def test_key_retired_before_signing(
        self, es256_signer: SoftwareSigner, claims: LicenceClaims
    ) -> None:
        key = trusted_key(
            es256_signer, valid_from=KEY_VALID_FROM, valid_until=datetime(2025, 3, 1, tzinfo=UTC)
        )
        with pytest.raises(KeyExpiredError):
            codec.verify(codec.encode(claims, es256_signer, BASE_URL), {key.cose_kid: key})

    def test_retired_key_still_verifies_what_it_signed_in_time(
        self, es256_signer: SoftwareSigner, claims: LicenceClaims
    ) -> None:
        key = trusted_key(
            es256_signer, valid_from=KEY_VALID_FROM, valid_until=datetime(2025, 12, 31, tzinfo=UTC)
        )
        url = codec.encode(claims, es256_signer, BASE_URL)
        assert codec.verify(url, {key.cose_kid: key}).claims == claims

    def test_bad_version(self, es256_signer: SoftwareSigner, claims: LicenceClaims) -> None:
        url = codec.encode(claims, es256_signer, BASE_URL)
        with pytest.raises(BadVersionError, match="'02'"):
            codec.verify(url.replace("/v/01", "/v/02"), {})

    @pytest.mark.parametrize("digits", ["0", "1"])
    def test_too_short_for_the_version_tag(self, digits: str) -> None:
        error = TruncatedError if digits == "0" else BadVersionError
        with pytest.raises(error):
            codec.verify(digits, {})

    @pytest.mark.parametrize("cut", [1, 2, 30, 53, 400])
    def test_truncation(
        self,
        cut: int,
        es256_signer: SoftwareSigner,
        claims: LicenceClaims,
        trust: dict[bytes, TrustedKey],
    ) -> None:
        url = codec.encode(claims, es256_signer, BASE_URL)
        with pytest.raises(TruncatedError):
            codec.verify(url[:-cut], trust)

    def test_oversized_input(self) -> None:
        with pytest.raises(OversizedError, match="longer than 4096"):
            codec.verify("1" * 5000, {})
        with pytest.raises(OversizedError, match="at most"):
            codec.verify("01" + "1" * codec.MAX_DIGITS, {})

    def test_trailing_bytes_after_the_message(
        self, es256_signer: SoftwareSigner, claims: LicenceClaims, trust: dict[bytes, TrustedKey]
    ) -> None:
        message = message_of(codec.encode(claims, es256_signer, BASE_URL))
        with pytest.raises(MalformedError, match="trailing"):
            codec.verify(as_credential(message + b"\x00"), trust)

    def test_a_non_empty_unprotected_header(
        self, es256_signer: SoftwareSigner, claims: LicenceClaims, trust: dict[bytes, TrustedKey]
    ) -> None:
        url = signed(claims.to_cwt_bytes(), es256_signer, unprotected={4: b"x"})
        with pytest.raises(MalformedError, match="unprotected header must be empty"):
            codec.verify(url, trust)

    def test_a_kid_of_another_length(
        self, es256_signer: SoftwareSigner, claims: LicenceClaims, trust: dict[bytes, TrustedKey]
    ) -> None:
        url = signed(claims.to_cwt_bytes(), es256_signer, kid=b"12345678901")
        with pytest.raises(MalformedError, match="8-byte"):
            codec.verify(url, trust)

    def test_signed_claims_with_an_unknown_key_are_malformed(
        self, es256_signer: SoftwareSigner, claims: LicenceClaims, trust: dict[bytes, TrustedKey]
    ) -> None:
        payload = deterministic_cbor.encode({**claims.to_cwt(), 1: "https://issuer"})
        with pytest.raises(MalformedError, match="unknown claim keys"):
            codec.verify(signed(payload, es256_signer), trust)

    def test_signed_claims_in_non_deterministic_cbor_are_malformed(
        self, es256_signer: SoftwareSigner, claims: LicenceClaims, trust: dict[bytes, TrustedKey]
    ) -> None:
        canonical = claims.to_cwt_bytes()
        long_form = b"\xb8\x08" + canonical[1:]  # The map length as a one-byte argument.
        with pytest.raises(MalformedError, match="deterministic"):
            codec.verify(signed(long_form, es256_signer), trust)

    @pytest.mark.parametrize(
        ("claim", "value", "message"),
        [
            (codec.CLAIM_SUB, 91330106, "claim 2 must be str"),
            (codec.CLAIM_IAT, "2025-03-18", "NumericDate"),
            (codec.CLAIM_RECORD_DIGEST, "00", "must be bytes"),
            (codec.CLAIM_STATUS, {"status_list": {"idx": 1}}, "'idx' and 'uri'"),
            (codec.CLAIM_STATUS, {"other": 1}, "exactly 'status_list'"),
        ],
    )
    def test_signed_claims_of_the_wrong_type_are_malformed(
        self,
        claim: int,
        value: object,
        message: str,
        es256_signer: SoftwareSigner,
        claims: LicenceClaims,
        trust: dict[bytes, TrustedKey],
    ) -> None:
        payload = deterministic_cbor.encode({**claims.to_cwt(), claim: value})
        with pytest.raises(MalformedError, match=message):
            codec.verify(signed(payload, es256_signer), trust)

    def test_missing_claims_are_malformed(
        self, es256_signer: SoftwareSigner, claims: LicenceClaims, trust: dict[bytes, TrustedKey]
    ) -> None:
        cwt = claims.to_cwt()
        del cwt[codec.CLAIM_RECORD_DIGEST]
        with pytest.raises(MalformedError, match="missing claim keys"):
            codec.verify(signed(deterministic_cbor.encode(cwt), es256_signer), trust)

    def test_errors_share_one_public_message(self) -> None:
        messages = {
            error.public_message
            for error in (MalformedError, TamperedError, UntrustedKeyError, OversizedError)
        }
        assert len(messages) == 1


@given(st.binary(min_size=0, max_size=400), st.integers(0, 400))
def test_fast_reader_agrees_with_the_general_parser(data: bytes, cut: int) -> None:
    # Mutated copies of a real layout: wherever the fast path accepts, the general parser
    # must accept and read the same message.
    head = bytes.fromhex("d2844da20126044801020304050607 08a0".replace(" ", ""))
    candidates = [data, head + data, (head + b"\x58\x20" + bytes(32) + b"\x58\x40" + data)[:cut]]
    for candidate in candidates:
        fast = codec._read_canonical_message(candidate)
        if fast is not None:
            assert codec._parse_message(candidate) == fast


def test_fast_reader_handles_each_payload_length_form(es256_signer: SoftwareSigner) -> None:
    for size in (0, 23, 24, 255, 256, 300):
        url = signed(b"\x00" * size, es256_signer)
        message = message_of(url)
        fast = codec._read_canonical_message(message)
        assert fast is not None
        assert fast == codec._parse_message(message)


@given(licence_claims())
def test_fast_claims_reader_reads_every_canonical_payload(claims: LicenceClaims) -> None:
    assert claim_set._read_canonical_claims(claims.to_cwt_bytes()) == claims


@given(licence_claims(), st.integers(0, 300), st.binary(max_size=3), st.integers(0, 3))
def test_fast_claims_reader_agrees_with_the_general_parser(
    claims: LicenceClaims, position: int, insert: bytes, delete: int
) -> None:
    payload = claims.to_cwt_bytes()
    position %= len(payload)
    changed = payload[:position] + insert + payload[position + delete :]
    fast = claim_set._read_canonical_claims(changed)
    if fast is not None:
        assert claim_set._parse_claims(changed) == fast


@pytest.mark.parametrize(
    "payload_hex",
    [
        "a7",  # Ends after the map head.
        "a802",  # Ends after a key.
        "a80278",  # Text head without its length byte.
        "a8027801",  # Text length 1 in long form: not shortest.
    ],
)
def test_fast_claims_reader_leaves_faults_to_the_general_parser(payload_hex: str) -> None:
    payload = bytes.fromhex(payload_hex)
    assert claim_set._read_canonical_claims(payload) is None
    with pytest.raises(MalformedError):
        claim_set._parse_claims(payload)

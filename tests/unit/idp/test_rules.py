"""Pure rules of the identity provider: client metadata, redirect matching, acr, claims."""

from __future__ import annotations

from dataclasses import replace

import pytest

from idp.acr import acr_for
from idp.acr import level_of
from idp.acr import required_level
from idp.claims import ClaimsRequestError
from idp.claims import PersonClaims
from idp.claims import parse_claims_request
from idp.claims import release
from idp.clients import ClientMetadata
from idp.clients import hash_secret
from idp.clients import validate_metadata
from idp.errors import InvalidClientMetadata
from idp.errors import InvalidRedirectURI
from idp.oauth.errors import safe_description
from idp.oauth.tokens import grant_of
from idp.oauth.tokens import half_hash

WEB = ClientMetadata(name="x", redirect_uris=("https://rp.example/cb",))


@pytest.mark.parametrize(
    ("uri", "production_ok", "development_ok"),
    [
        ("https://rp.example/cb", True, True),
        ("http://rp.example/cb", False, False),
        ("http://127.0.0.1:8080/cb", False, True),
        ("http://[::1]/cb", False, True),
        ("https://rp.example/cb#x", False, False),
        ("https://*.example/cb", False, False),
        ("/relative", False, False),
    ],
)
def test_redirect_uri_rules(uri: str, production_ok: bool, development_ok: bool) -> None:
    for allow, expected in ((False, production_ok), (True, development_ok)):
        meta = replace(WEB, redirect_uris=(uri,))
        if expected:
            validate_metadata(meta, allow_http_loopback=allow)
        else:
            with pytest.raises(InvalidRedirectURI):
                validate_metadata(meta, allow_http_loopback=allow)


def test_native_apps_may_use_loopback_and_private_schemes_in_production() -> None:
    for uri in ("http://127.0.0.1/cb", "cn.gov.example.app:/cb"):
        validate_metadata(
            replace(WEB, application_type="native", redirect_uris=(uri,)), allow_http_loopback=False
        )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"grant_types": ("implicit",)}, "implicit and password are not offered"),
        ({"grant_types": ("refresh_token",)}, "authorization_code grant"),
        (
            {"token_endpoint_auth_method": "none", "grant_types": ("client_credentials",)},
            "cannot use client_credentials",
        ),
        ({"token_endpoint_auth_method": "private_key_jwt"}, "jwks"),
        ({"scopes": ("openid", "admin")}, "unknown scopes"),
        ({"scopes": ("openid", "idnumber")}, "allow_id_number"),
        ({"id_token_signed_response_alg": "none"}, "refused"),
        ({"name": " "}, "client_name"),
        ({"jwks": {"keys": []}}, "at least one key"),
    ],
)
def test_bad_metadata_is_refused_with_a_reason(change: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidClientMetadata, match=message):
        validate_metadata(replace(WEB, **change), allow_http_loopback=False)  # type: ignore[arg-type]


def test_secrets_are_hashed_not_stored() -> None:
    digest = hash_secret("s3cret")
    assert digest.startswith("sha256:")
    assert "s3cret" not in digest


@pytest.mark.parametrize(
    ("acr", "level"),
    [
        ("urn:tongban:loa:1", 1),
        ("urn:tongban:loa:3", 3),
        ("urn:tongban:loa:9", 0),
        ("loa:2", 0),
        (None, 0),
    ],
)
def test_acr_levels(acr: str | None, level: int) -> None:
    assert level_of(acr) == level


def test_a_password_cannot_reach_level_three() -> None:
    assert acr_for(3, ("pwd",)) == "urn:tongban:loa:2"
    assert acr_for(1, ("pwd",)) == "urn:tongban:loa:1"
    assert acr_for(3, ("pwd", "hwk")) == "urn:tongban:loa:3"


def test_required_level_is_the_lowest_acceptable() -> None:
    assert required_level(["urn:tongban:loa:3", "urn:tongban:loa:2"]) == 2
    assert required_level(["something-else"]) == 0
    assert required_level([]) == 0


def test_claims_request_parsing() -> None:
    request = parse_claims_request(
        '{"id_token":{"name":null,"acr":{"essential":true,'
        '"values":["urn:tongban:loa:2"]}},"userinfo":{"phone_number":{}}}'
    )
    assert request.essential_acr_values() == ("urn:tongban:loa:2",)
    assert request.scopes_needed == {"profile", "phone"}
    for bad in ("[]", '{"other":{}}', '{"id_token":[]}', '{"id_token":{"name":1}}', "{"):
        with pytest.raises(ClaimsRequestError):
            parse_claims_request(bad)


def test_release_follows_scopes_and_hides_unverified_legal_names() -> None:
    person = PersonClaims(
        name="张三", loa=1, realname_verified=False, id_type=None, id_number_masked=None
    )
    assert release(person, ["openid", "profile"]) == {"name": "张三"}
    released = release(person, ["realname"])
    assert "legal_name" not in released
    assert released["realname_verified"] is False
    verified = replace(person, realname_verified=True)
    assert release(verified, ["realname"])["legal_name"] == "张三"


def test_half_hashes_match_published_examples() -> None:
    # OpenID Connect Core §3.1.3.6 / A.3 (RS256: left half of SHA-256).
    assert half_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y", "RS256") == (
        "77QmUPtjPfzWtF2AnpK9RQ"
    )
    assert half_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y", "ES256") == (
        "77QmUPtjPfzWtF2AnpK9RQ"
    )
    # Ed25519 uses SHA-512 (the value other libraries' test suites publish).
    assert half_hash("dNZX1hEZ9wBCzNL40Upu646bdzQA", "EdDSA") == (
        "8xltSlOGYrWy8W9yNvRlEth1i_bXW-JROWPLvCv5zog"
    )


def test_grant_ids_inside_jtis() -> None:
    assert grant_of("0123456789abcdef0123456789abcdef.xyz") == "0123456789abcdef0123456789abcdef"
    assert grant_of("justrandom") is None


def test_error_descriptions_are_made_ascii_safe() -> None:
    assert safe_description('missing the "jti" claim §4') == "missing the 'jti' claim 4"

"""The `federation` settings: off by default, checked when on, https in production."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.errors import ConfigError
from config.errors import ProductionGuardError
from config.load import acr_level_map
from config.load import load
from tests.unit.config.test_load import production_env

UPSTREAM = {
    "TONGBAN_FEDERATION__ISSUER": "https://tyrz.gjzwfw.gov.cn",
    "TONGBAN_FEDERATION__CLIENT_ID": "fj-tongban",
    "TONGBAN_FEDERATION__CLIENT_SECRET": "upstream-secret-0123456789",
}


def env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"TONGBAN_DATA_DIR": str(tmp_path), **UPSTREAM, **extra}


def test_off_by_default(tmp_path: Path) -> None:
    settings = load({"TONGBAN_DATA_DIR": str(tmp_path)})
    assert settings.federation.issuer == ""
    assert settings.federation.max_level == 2


def test_on_with_issuer_client_and_secret(tmp_path: Path) -> None:
    fed = load(env(tmp_path)).federation
    assert fed.issuer == "https://tyrz.gjzwfw.gov.cn"
    assert fed.name == "国家政务服务平台"


def test_the_client_secret_is_masked(tmp_path: Path) -> None:
    assert UPSTREAM["TONGBAN_FEDERATION__CLIENT_SECRET"] not in repr(load(env(tmp_path)))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"TONGBAN_FEDERATION__ISSUER": "ftp://x.example"}, "federation.issuer"),
        ({"TONGBAN_FEDERATION__ISSUER": "https://x.example/"}, "trailing"),
        ({"TONGBAN_FEDERATION__ISSUER": "https://x.example?a=1"}, "no query"),
        ({"TONGBAN_FEDERATION__ISSUER": "http://127.0.0.1:8000"}, "another provider"),
        ({"TONGBAN_FEDERATION__CLIENT_ID": ""}, "federation.client_id"),
        ({"TONGBAN_FEDERATION__CLIENT_SECRET": ""}, "federation.client_secret"),
        ({"TONGBAN_FEDERATION__SCOPES": "profile realname"}, "must include openid"),
        ({"TONGBAN_FEDERATION__MAX_LEVEL": "4"}, "federation.max_level"),
        ({"TONGBAN_FEDERATION__MAX_LEVEL": "0"}, "federation.max_level"),
        ({"TONGBAN_FEDERATION__ACR_LEVELS": "urn:x:high"}, "federation.acr_levels"),
        ({"TONGBAN_FEDERATION__ACR_LEVELS": "urn:x:high=4"}, "federation.acr_levels"),
        ({"TONGBAN_FEDERATION__ACR_LEVELS": "a=1 a=2"}, "listed twice"),
        ({"TONGBAN_FEDERATION__TIMEOUT": "0"}, "federation.timeout"),
        ({"TONGBAN_FEDERATION__STATE_SECONDS": "5"}, "federation.state_seconds"),
        ({"TONGBAN_FEDERATION__NAME": ""}, "federation.name"),
        ({"TONGBAN_FEDERATION__ID_NUMBER_CLAIM": "id number"}, "federation.id_number_claim"),
        ({"TONGBAN_FEDERATION__CREATE_ACCOUNTS": "maybe"}, "federation.create_accounts"),
    ],
)
def test_bad_values_are_named(tmp_path: Path, extra: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load(env(tmp_path, **extra))


def test_an_unknown_key_in_the_section_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown setting federation\.isuer"):
        load(env(tmp_path, TONGBAN_FEDERATION__ISUER="https://x.example"))


def test_production_requires_an_https_upstream(tmp_path: Path) -> None:
    with pytest.raises(ProductionGuardError, match=r"federation\.issuer"):
        load(
            production_env(
                tmp_path, **{**UPSTREAM, "TONGBAN_FEDERATION__ISSUER": "http://x.example"}
            )
        )
    assert load(production_env(tmp_path, **UPSTREAM)).federation.issuer.startswith("https://")


def test_acr_level_map_reads_pairs_separated_by_spaces_or_commas() -> None:
    assert acr_level_map("urn:a=1, urn:b=3\turn:c=2") == {"urn:a": 1, "urn:b": 3, "urn:c": 2}
    assert acr_level_map("") == {}
    # An acr may itself contain '='; the level is after the last one.
    assert acr_level_map("urn:x?l=high=3") == {"urn:x?l=high": 3}

"""Levels of assurance per method, and the settings of issue 4."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.errors import ConfigError
from config.errors import ProductionGuardError
from config.load import load
from idp.acr import acr_for
from keys.master import generate_master_key


@pytest.mark.parametrize(
    ("loa", "amr", "acr"),
    [
        (1, ("pwd",), 1),
        (2, ("pwd",), 2),
        (2, ("sms",), 2),
        (2, ("pwd", "otp", "mfa"), 2),
        (2, ("hwk", "mfa"), 3),
        (2, ("swk",), 3),
        (2, ("x509",), 3),
        (1, ("hwk",), 1),
        (1, ("x509",), 1),
        (3, ("pwd",), 2),
    ],
)
def test_level_of_each_login(loa: int, amr: tuple[str, ...], acr: int) -> None:
    assert acr_for(loa, amr) == f"urn:tongban:loa:{acr}"


def env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"TONGBAN_DATA_DIR": str(tmp_path), **{f"TONGBAN_{k}": v for k, v in extra.items()}}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"SMS__KIND": "http"}, "sms.url"),
        ({"SMS__KIND": "http", "SMS__URL": "https://sms.example/v1"}, "sms.account"),
        (
            {
                "SMS__KIND": "http",
                "SMS__URL": "https://sms.example/v1",
                "SMS__ACCOUNT": "a",
                "SMS__SECRET": "short",
            },
            "sms.secret",
        ),
        ({"REGISTRY__KIND": "http", "REGISTRY__URL": "ftp://x"}, "registry.url"),
        ({"REGISTRY__TIMEOUT": "0"}, "registry.timeout"),
        ({"AUTHN__OTP_ATTEMPTS": "0"}, "authn.otp_attempts"),
        ({"AUTHN__LOCKOUT_MAX_SECONDS": "0"}, "authn.lockout_max_seconds"),
        ({"CERTIFICATES__PROXY_HEADER": "X-Client-Cert"}, "certificates.proxy_addresses"),
        (
            {
                "CERTIFICATES__PROXY_HEADER": "X-Client-Cert",
                "CERTIFICATES__PROXY_ADDRESSES": "proxy",
            },
            "'proxy' is not an address",
        ),
        ({"AUTHN__WEBAUTHN_RP_ID": "https://id.example"}, "authn.webauthn_rp_id"),
        ({"SMS__KIND": "carrier-pigeon"}, "sms.kind"),
    ],
)
def test_bad_settings_name_the_key(tmp_path: Path, extra: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load(env(tmp_path, **extra))


def production(tmp_path: Path, **extra: str) -> dict[str, str]:
    return env(
        tmp_path,
        MODE="production",
        ISSUER="https://id.example.gov.cn",
        SECRET_KEY="x" * 40,
        MASTER_KEY=generate_master_key(),
        **extra,
    )


def test_production_refuses_the_development_outbox(tmp_path: Path) -> None:
    with pytest.raises(ProductionGuardError, match="development outbox"):
        load(production(tmp_path))
    http = {
        "SMS__KIND": "http",
        "SMS__URL": "http://sms.example/v1",
        "SMS__ACCOUNT": "tongban",
        "SMS__SECRET": "s" * 32,
    }
    with pytest.raises(ProductionGuardError, match=r"sms\.url: production requires https"):
        load(production(tmp_path, **http))
    http["SMS__URL"] = "https://sms.example/v1"
    settings = load(production(tmp_path, **http))
    assert settings.production
    assert settings.sms.kind == "http"


def test_gateway_and_registry_secrets_stay_out_of_repr(tmp_path: Path) -> None:
    settings = load(
        env(
            tmp_path,
            SMS__KIND="http",
            SMS__URL="https://sms.example/v1",
            SMS__ACCOUNT="tongban",
            SMS__SECRET="sms-secret-value-123",
            REGISTRY__KIND="http",
            REGISTRY__URL="https://rnv.example/api",
            REGISTRY__CLIENT_ID="tongban",
            REGISTRY__SECRET="registry-secret-value",
        )
    )
    text = repr(settings)
    assert "sms-secret-value" not in text
    assert "registry-secret-value" not in text
    assert "rnv.example" in text

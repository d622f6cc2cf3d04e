from __future__ import annotations

import os
from pathlib import Path

import pytest

from config.errors import ConfigError
from config.errors import ProductionGuardError
from config.load import load
from config.settings import DEFAULT_SECRET
from keys.master import generate_master_key

GOOD_SECRET = "s" * 40


def write_config(data_dir: Path, text: str) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "tongban.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


def test_defaults_need_no_file(tmp_path: Path) -> None:
    settings = load({"TONGBAN_DATA_DIR": str(tmp_path)})
    assert settings.mode == "development"
    assert settings.data_dir == tmp_path
    assert settings.database_url == f"sqlite:///{(tmp_path / 'tongban.sqlite3').resolve()}"
    assert settings.redis.url == ""


def test_file_values_override_defaults(tmp_path: Path) -> None:
    write_config(tmp_path, 'issuer = "https://id.example.gov.cn"\n[server]\nport = 9000\n')
    settings = load({"TONGBAN_DATA_DIR": str(tmp_path)})
    assert settings.issuer == "https://id.example.gov.cn"
    assert settings.server.port == 9000


def test_environment_overrides_the_file_with_double_underscore_nesting(tmp_path: Path) -> None:
    write_config(tmp_path, "[server]\nport = 9000\n")
    settings = load(
        {
            "TONGBAN_DATA_DIR": str(tmp_path),
            "TONGBAN_SERVER__PORT": "9100",
            "TONGBAN_LOG__ACCESS": "false",
            "TONGBAN_REDIS__TIMEOUT": "0.5",
        }
    )
    assert settings.server.port == 9100
    assert settings.log.access is False
    assert settings.redis.timeout == 0.5


def test_a_second_instance_is_one_variable_away(tmp_path: Path) -> None:
    one = load({"TONGBAN_DATA_DIR": str(tmp_path / "a")})
    two = load({"TONGBAN_DATA_DIR": str(tmp_path / "b")})
    assert one.database_url != two.database_url
    assert one.master_key_path != two.master_key_path


def test_unknown_key_in_the_file_is_named_with_a_suggestion(tmp_path: Path) -> None:
    path = write_config(tmp_path, "[database]\nurll = 'sqlite://'\n")
    with pytest.raises(ConfigError) as info:
        load({"TONGBAN_DATA_DIR": str(tmp_path)})
    assert "unknown setting database.urll" in info.value.message
    assert str(path) in info.value.message
    assert "did you mean database.url" in info.value.message


def test_unknown_environment_variable_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load({"TONGBAN_DATA_DIR": str(tmp_path), "TONGBAN_DATABSE__URL": "x"})
    assert info.value.message == (
        "unknown setting databse (from TONGBAN_DATABSE__URL); did you mean database?"
    )


def test_bad_number_names_key_and_source(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError,
        match=r"server\.port: expected a whole number, got 'eighty' \(from TONGBAN_SERVER__PORT\)",
    ):
        load({"TONGBAN_DATA_DIR": str(tmp_path), "TONGBAN_SERVER__PORT": "eighty"})


def test_bad_choice_lists_the_allowed_values(tmp_path: Path) -> None:
    write_config(tmp_path, 'mode = "staging"\n')
    with pytest.raises(
        ConfigError, match=r"mode: 'staging' is not one of 'development', 'production'"
    ):
        load({"TONGBAN_DATA_DIR": str(tmp_path)})


def test_wrong_type_in_file_is_refused(tmp_path: Path) -> None:
    write_config(tmp_path, "[server]\nport = '80'\nworkers = true\n")
    with pytest.raises(ConfigError, match=r"server\.workers: expected a whole number, got True"):
        load({"TONGBAN_DATA_DIR": str(tmp_path)})


def test_table_where_a_value_belongs_is_refused(tmp_path: Path) -> None:
    write_config(tmp_path, "[issuer]\nurl = 'x'\n")
    with pytest.raises(ConfigError, match="issuer: expected a string"):
        load({"TONGBAN_DATA_DIR": str(tmp_path)})


@pytest.mark.parametrize(("value", "expected"), [("yes", True), ("0", False), ("TRUE", True)])
def test_booleans_from_the_environment(tmp_path: Path, value: str, expected: bool) -> None:
    settings = load({"TONGBAN_DATA_DIR": str(tmp_path), "TONGBAN_LOG__ACCESS": value})
    assert settings.log.access is expected


def test_out_of_range_value_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"server\.port: 70000 is outside 1\.\.65535"):
        load({"TONGBAN_DATA_DIR": str(tmp_path), "TONGBAN_SERVER__PORT": "70000"})


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = write_config(tmp_path, "mode = \n")
    with pytest.raises(ConfigError, match=f"{path}: not a valid TOML file"):
        load({"TONGBAN_DATA_DIR": str(tmp_path)})


def test_data_dir_belongs_in_the_environment_not_the_file(tmp_path: Path) -> None:
    write_config(tmp_path, 'data_dir = "/elsewhere"\n')
    with pytest.raises(ConfigError, match="set TONGBAN_DATA_DIR"):
        load({"TONGBAN_DATA_DIR": str(tmp_path)})


def test_explicit_config_path_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load({"TONGBAN_CONFIG": str(tmp_path / "missing.toml")})


@pytest.mark.parametrize(
    ("issuer", "message"),
    [
        ("https://id.example.gov.cn/", "must not end with '/'"),
        ("https://id.example.gov.cn?x=1", "no query or fragment"),
        ("id.example.gov.cn", "is not a http/https URL"),
    ],
)
def test_issuer_must_be_a_clean_url(tmp_path: Path, issuer: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load({"TONGBAN_DATA_DIR": str(tmp_path), "TONGBAN_ISSUER": issuer})


def test_unsupported_database_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="only sqlite:// and postgresql://"):
        load({"TONGBAN_DATA_DIR": str(tmp_path), "TONGBAN_DATABASE__URL": "mysql://x/y"})


def test_secret_never_appears_in_repr(tmp_path: Path) -> None:
    settings = load({"TONGBAN_DATA_DIR": str(tmp_path), "TONGBAN_SECRET_KEY": "hunter2-" * 5})
    assert "hunter2" not in repr(settings)
    assert DEFAULT_SECRET not in repr(load({"TONGBAN_DATA_DIR": str(tmp_path)}))


# -- production guards ---------------------------------------------------------------


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        "TONGBAN_DATA_DIR": str(tmp_path),
        "TONGBAN_MODE": "production",
        "TONGBAN_SMS__KIND": "off",
        "TONGBAN_ISSUER": "https://id.example.gov.cn",
        "TONGBAN_SECRET_KEY": GOOD_SECRET,
        "TONGBAN_MASTER_KEY": generate_master_key(),
    }
    env.update(extra)
    return env


def test_production_accepts_safe_settings(tmp_path: Path) -> None:
    assert load(production_env(tmp_path)).production


def test_production_refuses_an_http_issuer(tmp_path: Path) -> None:
    with pytest.raises(ProductionGuardError, match="https issuer"):
        load(production_env(tmp_path, TONGBAN_ISSUER="http://id.example.gov.cn"))


@pytest.mark.parametrize("secret", [DEFAULT_SECRET, "short"])
def test_production_refuses_a_default_or_short_secret(tmp_path: Path, secret: str) -> None:
    with pytest.raises(ProductionGuardError, match="secret_key"):
        load(production_env(tmp_path, TONGBAN_SECRET_KEY=secret))


def test_production_refuses_a_world_readable_master_key_file(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    del env["TONGBAN_MASTER_KEY"]
    key_file = tmp_path / "master.key"
    key_file.write_text(generate_master_key())
    key_file.chmod(0o644)
    with pytest.raises(ProductionGuardError, match=r"readable by others \(mode 644\)"):
        load(env)
    key_file.chmod(0o600)
    assert load(env).production


def test_production_refuses_a_missing_master_key_file(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    del env["TONGBAN_MASTER_KEY"]
    with pytest.raises(ProductionGuardError, match="does not exist"):
        load(env)


def test_production_refuses_a_config_file_others_can_read(tmp_path: Path) -> None:
    path = write_config(tmp_path, f'secret_key = "{GOOD_SECRET}"\n')
    os.chmod(path, 0o640)
    env = production_env(tmp_path)
    del env["TONGBAN_SECRET_KEY"]
    with pytest.raises(ProductionGuardError, match="config file"):
        load(env)

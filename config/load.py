"""Load :class:`~config.settings.Settings` from a TOML file and ``TONGBAN_*`` variables.

Precedence, lowest first: the defaults in ``settings.py``, the file
(``$TONGBAN_CONFIG``, else ``$TONGBAN_DATA_DIR/tongban.toml``), then environment
variables, where ``__`` separates levels: ``TONGBAN_DATABASE__URL`` sets
``database.url``. Unknown keys and bad values are refused with the dotted key's name
and where it came from, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import dataclasses
import difflib
import ipaddress
import os
import re
import stat
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from typing import Final
from typing import TypeVar
from urllib.parse import urlsplit

from config.errors import ConfigError
from config.errors import ProductionGuardError
from config.settings import DEFAULT_SECRET
from config.settings import Settings

ENV_PREFIX: Final = "TONGBAN_"
CONFIG_FILE_NAME: Final = "tongban.toml"
#: Variables with the prefix that are read elsewhere, not settings.
RESERVED_ENV: Final = frozenset(
    {"TONGBAN_DATA_DIR", "TONGBAN_CONFIG", "TONGBAN_MASTER_KEY", "TONGBAN_DEBUG"}
)
RESERVED_ENV_PREFIXES: Final = ("TONGBAN_TEST_", "TONGBAN_BENCH_")

T = TypeVar("T")


def data_dir_from(environ: Mapping[str, str]) -> Path:
    """The data directory: ``$TONGBAN_DATA_DIR`` or ``./var``."""
    return Path(environ.get("TONGBAN_DATA_DIR") or "var")


def config_path_from(environ: Mapping[str, str]) -> Path:
    """The config file's path: ``$TONGBAN_CONFIG`` or ``<data_dir>/tongban.toml``."""
    explicit = environ.get("TONGBAN_CONFIG")
    return Path(explicit) if explicit else data_dir_from(environ) / CONFIG_FILE_NAME


def load(environ: Mapping[str, str] | None = None) -> Settings:
    """Read, validate and return the settings; raise :class:`ConfigError` naming the key."""
    env = os.environ if environ is None else environ
    path = config_path_from(env)
    raw: dict[str, Any] = {}
    sources: dict[str, str] = {}
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not a valid TOML file: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"{path}: cannot be read: {exc.strerror}") from None
        _note_sources(raw, "", f"in {path}", sources)
    elif "TONGBAN_CONFIG" in env:
        raise ConfigError(f"TONGBAN_CONFIG names {path}, which does not exist")
    if "data_dir" in raw:
        raise ConfigError(f"data_dir (in {path}): set TONGBAN_DATA_DIR instead of the file")
    for name, value in sorted(env.items()):
        if not name.startswith(ENV_PREFIX) or name in RESERVED_ENV:
            continue
        if name.startswith(RESERVED_ENV_PREFIXES):
            continue
        dotted = name[len(ENV_PREFIX) :].lower().split("__")
        _set_nested(raw, dotted, value, name)
        for depth in range(1, len(dotted)):
            sources.setdefault(".".join(dotted[:depth]), f"from {name}")
        sources[".".join(dotted)] = f"from {name}"
    raw["data_dir"] = str(data_dir_from(env))
    settings = _build(Settings, raw, "", sources)
    validate(settings)
    if settings.production:
        guard_production(settings, env, config_file=path if path.exists() else None)
    return settings


def validate(settings: Settings) -> None:
    """Check values that their type alone does not constrain."""
    _check_url("issuer", settings.issuer, ("http", "https"))
    issuer = urlsplit(settings.issuer)
    if issuer.query or issuer.fragment:
        raise ConfigError("issuer: must have no query or fragment (OpenID Connect Discovery §2)")
    if settings.issuer.endswith("/"):
        raise ConfigError("issuer: must not end with '/': clients compare it byte for byte")
    if not settings.secret_key:
        raise ConfigError("secret_key: must not be empty")
    if settings.database.url and not settings.database.url.startswith(("sqlite", "postgresql")):
        raise ConfigError("database.url: only sqlite:// and postgresql:// URLs are supported")
    if settings.redis.url:
        _check_url("redis.url", settings.redis.url, ("redis", "rediss", "unix"))
    _check_range("database.pool_size", settings.database.pool_size, 1, 200)
    _check_range("database.connect_timeout", settings.database.connect_timeout, 1, 300)
    if not 0 < settings.redis.timeout <= 60:
        raise ConfigError("redis.timeout: must be more than 0 and at most 60 seconds")
    _check_range("server.port", settings.server.port, 1, 65535)
    _check_range("server.workers", settings.server.workers, 1, 256)
    _check_range("server.threads", settings.server.threads, 1, 256)
    _check_range("server.proxy_hops", settings.server.proxy_hops, 0, 10)
    _check_range("server.max_body_bytes", settings.server.max_body_bytes, 1024, 1 << 31)
    _check_range("keys.rotate_after_days", settings.keys.rotate_after_days, 1, 3650)
    _check_range("keys.retired_publish_seconds", settings.keys.retired_publish_seconds, 0, 10**8)
    _check_range("keys.cache_seconds", settings.keys.cache_seconds, 0, 300)
    idp = settings.idp
    _check_range("idp.code_seconds", idp.code_seconds, 10, 600)
    _check_range("idp.access_token_seconds", idp.access_token_seconds, 60, 86400)
    _check_range("idp.id_token_seconds", idp.id_token_seconds, 60, 86400)
    _check_range("idp.refresh_token_seconds", idp.refresh_token_seconds, 300, 400 * 86400)
    _check_range("idp.refresh_grace_seconds", idp.refresh_grace_seconds, 0, 120)
    _check_range("idp.par_seconds", idp.par_seconds, 10, 600)
    _check_range("idp.session_idle_seconds", idp.session_idle_seconds, 60, 7 * 86400)
    _check_range("idp.session_max_seconds", idp.session_max_seconds, 300, 30 * 86400)
    _check_range("idp.interaction_seconds", idp.interaction_seconds, 60, 3600)
    _check_range("idp.argon2_memory_kib", idp.argon2_memory_kib, 19456, 4 * 1024 * 1024)
    _check_range("idp.argon2_iterations", idp.argon2_iterations, 1, 20)
    _check_range("idp.argon2_concurrency", idp.argon2_concurrency, 1, 256)
    _validate_authn(settings)
    validate_federation(settings)
    if not 0.05 <= settings.worker.interval <= 3600:
        raise ConfigError("worker.interval: must be 0.05 to 3600 seconds")
    longest = max(idp.access_token_seconds, idp.id_token_seconds)
    if settings.keys.retired_publish_seconds < longest:
        raise ConfigError(
            f"keys.retired_publish_seconds ({settings.keys.retired_publish_seconds}) must be at "
            f"least the longest token lifetime ({longest} s), or rotation breaks tokens in use"
        )


def _validate_authn(settings: Settings) -> None:
    sms, registry, authn, certs = (
        settings.sms,
        settings.registry,
        settings.authn,
        settings.certificates,
    )
    if sms.kind == "http":
        _check_url("sms.url", sms.url, ("http", "https"))
        if not sms.account:
            raise ConfigError("sms.account: required when sms.kind is http")
        if len(sms.secret) < 16:
            raise ConfigError("sms.secret: at least 16 characters when sms.kind is http")
    _check_seconds("sms.timeout", sms.timeout)
    _check_range("sms.retries", sms.retries, 0, 5)
    if registry.kind == "http":
        _check_url("registry.url", registry.url, ("http", "https"))
        if not registry.client_id:
            raise ConfigError("registry.client_id: required when registry.kind is http")
        if len(registry.secret) < 16:
            raise ConfigError("registry.secret: at least 16 characters when registry.kind is http")
    _check_seconds("registry.timeout", registry.timeout)
    _check_range("registry.retries", registry.retries, 0, 5)
    _check_range("authn.otp_seconds", authn.otp_seconds, 60, 1800)
    _check_range("authn.otp_attempts", authn.otp_attempts, 1, 10)
    _check_range("authn.otp_per_phone_hour", authn.otp_per_phone_hour, 1, 100)
    _check_range("authn.otp_per_address_hour", authn.otp_per_address_hour, 1, 100_000)
    _check_range("authn.free_failures_pair", authn.free_failures_pair, 1, 100)
    _check_range("authn.free_failures_account", authn.free_failures_account, 1, 1000)
    _check_range("authn.free_failures_address", authn.free_failures_address, 1, 100_000)
    _check_range("authn.lockout_max_seconds", authn.lockout_max_seconds, 1, 86400)
    _check_range("authn.failure_window_seconds", authn.failure_window_seconds, 60, 7 * 86400)
    if authn.webauthn_rp_id and not re.fullmatch(r"[a-z0-9.-]{1,253}", authn.webauthn_rp_id):
        raise ConfigError("authn.webauthn_rp_id: a lower-case host name, without scheme or port")
    _check_seconds("certificates.crl_timeout", certs.crl_timeout)
    _check_range("certificates.crl_cache_seconds", certs.crl_cache_seconds, 0, 7 * 86400)
    _check_range("certificates.challenge_seconds", certs.challenge_seconds, 30, 3600)
    if certs.proxy_header:
        if not re.fullmatch(r"[A-Za-z0-9-]{1,64}", certs.proxy_header):
            raise ConfigError("certificates.proxy_header: a header name (letters, digits, '-')")
        if not certs.proxy_addresses.strip():
            raise ConfigError(
                "certificates.proxy_addresses: required with proxy_header, or anyone could "
                "forge the header"
            )
    proxy_networks(certs.proxy_addresses)


def validate_federation(settings: Settings) -> None:
    """The upstream provider's settings, when federation is on (``federation.issuer``)."""
    fed = settings.federation
    _check_range("federation.max_level", fed.max_level, 1, 3)
    _check_seconds("federation.timeout", fed.timeout)
    _check_range("federation.state_seconds", fed.state_seconds, 60, 3600)
    _check_range("federation.metadata_cache_seconds", fed.metadata_cache_seconds, 0, 86400)
    _check_range("federation.leeway_seconds", fed.leeway_seconds, 0, 300)
    acr_level_map(fed.acr_levels)
    if not fed.issuer:
        return
    _check_url("federation.issuer", fed.issuer, ("http", "https"))
    parts = urlsplit(fed.issuer)
    if parts.query or parts.fragment or fed.issuer.endswith("/"):
        raise ConfigError(
            "federation.issuer: no query, fragment or trailing '/' (it is compared byte for "
            "byte with the upstream's discovery document and ID tokens)"
        )
    if fed.issuer == settings.issuer:
        raise ConfigError("federation.issuer: must be another provider than this one")
    if not fed.client_id:
        raise ConfigError("federation.client_id: required when federation.issuer is set")
    if not fed.client_secret:
        raise ConfigError("federation.client_secret: required when federation.issuer is set")
    if "openid" not in fed.scopes.split():
        raise ConfigError("federation.scopes: must include openid")
    if not fed.name.strip() or len(fed.name) > 40 or len(fed.name_en) > 80:
        raise ConfigError("federation.name: 1 to 40 characters (name_en: at most 80)")
    for key in ("name_claim", "id_number_claim", "id_type_claim", "phone_claim"):
        if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,100}", getattr(fed, key)):
            raise ConfigError(f"federation.{key}: a claim name (letters, digits, _ . : -)")


def acr_level_map(text: str) -> dict[str, int]:
    """``federation.acr_levels`` as a mapping; ConfigError naming a bad pair."""
    mapping: dict[str, int] = {}
    for pair in text.replace(",", " ").split():
        acr, _, level = pair.rpartition("=")
        if not acr or level not in ("1", "2", "3"):
            raise ConfigError(
                f"federation.acr_levels: {pair!r} is not acr=level with a level of 1, 2 or 3"
            )
        if acr in mapping:
            raise ConfigError(f"federation.acr_levels: {acr!r} is listed twice")
        mapping[acr] = int(level)
    return mapping


def proxy_networks(text: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """The networks of ``certificates.proxy_addresses``; ConfigError naming a bad one."""
    networks = []
    for item in text.split(","):
        if not item.strip():
            continue
        try:
            networks.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            raise ConfigError(
                f"certificates.proxy_addresses: {item.strip()!r} is not an address or network"
            ) from None
    return tuple(networks)


def guard_production(
    settings: Settings, environ: Mapping[str, str], *, config_file: Path | None
) -> None:
    """Refuse settings that are fine on a laptop and dangerous on the internet."""
    if urlsplit(settings.issuer).scheme != "https":
        raise ProductionGuardError("issuer: production requires an https issuer")
    if settings.secret_key == DEFAULT_SECRET or len(settings.secret_key) < 32:
        raise ProductionGuardError(
            "secret_key: production requires a random secret of at least 32 characters"
        )
    if settings.sms.kind == "dev":
        raise ProductionGuardError(
            "sms.kind: production must not use the development outbox; set sms.kind to "
            '"http" (or "off")'
        )
    for key, kind, url in (
        ("sms.url", settings.sms.kind, settings.sms.url),
        ("registry.url", settings.registry.kind, settings.registry.url),
        (
            "federation.issuer",
            "http" if settings.federation.issuer else "",
            settings.federation.issuer,
        ),
    ):
        if kind == "http" and urlsplit(url).scheme != "https":
            raise ProductionGuardError(f"{key}: production requires https")
    if not environ.get("TONGBAN_MASTER_KEY"):
        _guard_private_file("keys.master_key_file", settings.master_key_path, missing_ok=False)
    if config_file is not None:
        _guard_private_file("config file", config_file, missing_ok=True)


def _guard_private_file(label: str, path: Path, *, missing_ok: bool) -> None:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        if missing_ok:
            return
        raise ProductionGuardError(f"{label}: {path} does not exist") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ProductionGuardError(
            f"{label}: {path} is readable by others (mode {stat.S_IMODE(mode):o}); "
            f"run chmod 600 {path}"
        )


def _check_url(key: str, value: str, schemes: tuple[str, ...]) -> None:
    parts = urlsplit(value)
    if parts.scheme not in schemes or (parts.scheme != "unix" and not parts.netloc):
        raise ConfigError(f"{key}: {value!r} is not a {'/'.join(schemes)} URL")


def _check_seconds(key: str, value: float) -> None:
    if not 0 < value <= 60:
        raise ConfigError(f"{key}: must be more than 0 and at most 60 seconds")


def _check_range(key: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise ConfigError(f"{key}: {value} is outside {low}..{high}")


def _note_sources(table: Mapping[str, Any], prefix: str, where: str, out: dict[str, str]) -> None:
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        out[dotted] = where
        if isinstance(value, Mapping):
            _note_sources(value, f"{dotted}.", where, out)


def _set_nested(raw: dict[str, Any], path: list[str], value: str, name: str) -> None:
    node = raw
    for part in path[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"{name}: {'.'.join(path[:-1])} is not a table of settings")
        node = child
    node[path[-1]] = value


def _build(cls: type[T], raw: Any, prefix: str, sources: Mapping[str, str]) -> T:
    label = prefix.rstrip(".") or "settings"
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{label}: expected a table of settings{_from(label, sources)}")
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    hints = typing.get_type_hints(cls)
    for key in raw:
        if key not in fields:
            dotted = f"{prefix}{key}"
            close = difflib.get_close_matches(str(key), list(fields), n=1)
            hint = f"; did you mean {prefix}{close[0]}?" if close else ""
            raise ConfigError(f"unknown setting {dotted}{_from(dotted, sources)}{hint}")
    values = {
        name: _coerce(hints[name], raw[name], f"{prefix}{name}", sources)
        for name in fields
        if name in raw
    }
    return cls(**values)


def _coerce(tp: Any, value: Any, key: str, sources: Mapping[str, str]) -> Any:
    origin = typing.get_origin(tp)
    where = _from(key, sources)
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, f"{key}.", sources)  # type: ignore[arg-type]
    if origin is typing.Literal:
        allowed = typing.get_args(tp)
        if value not in allowed:
            choices = ", ".join(repr(a) for a in allowed)
            raise ConfigError(f"{key}: {value!r} is not one of {choices}{where}")
        return value
    if origin in (typing.Union, types.UnionType):
        raise TypeError(f"unsupported settings type for {key}: {tp}")  # pragma: no cover
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in _BOOLS:
            return _BOOLS[value.lower()]
        raise ConfigError(f"{key}: expected true or false, got {value!r}{where}")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise ConfigError(f"{key}: expected a whole number, got {value!r}{where}")
    if tp is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                pass
        raise ConfigError(f"{key}: expected a number, got {value!r}{where}")
    if tp is str:
        if isinstance(value, str):
            return value
        raise ConfigError(f"{key}: expected a string, got {value!r}{where}")
    if tp is Path:
        if isinstance(value, str) and value:
            return Path(value)
        raise ConfigError(f"{key}: expected a path, got {value!r}{where}")
    raise TypeError(f"unsupported settings type for {key}: {tp}")  # pragma: no cover


_BOOLS: Final = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def _from(key: str, sources: Mapping[str, str]) -> str:
    source = sources.get(key)
    return f" ({source})" if source else ""

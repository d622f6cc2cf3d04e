"""The settings tree: nested frozen dataclasses, documented field by field.

Each field's ``doc`` metadata is its documentation; ``docs/settings.md`` is generated
from it (``tongban config reference``) and a test keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any
from typing import Final
from typing import Literal

#: The placeholder secret. Development may run with it; production refuses to.
DEFAULT_SECRET: Final = "insecure-development-secret-change-me"  # noqa: S105 (the known-bad value)

Mode = Literal["development", "production"]
LogFormat = Literal["json", "text"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
Algorithm = Literal["ES256", "RS256", "EdDSA"]
SMSKind = Literal["dev", "http", "off"]
RegistryKind = Literal["local", "http"]


def doc(text: str, default: Any, *, secret: bool = False) -> Any:
    """A dataclass field with a default and its one-line documentation.

    ``secret`` keeps the value out of ``repr()``, so a logged Settings object never
    carries it.
    """
    return field(default=default, repr=not secret, metadata={"doc": text})


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = doc(
        "SQLAlchemy URL of the durable database. Empty means SQLite at "
        "`<data_dir>/tongban.sqlite3`; production uses "
        "`postgresql+psycopg://user@host/db`.",
        "",
    )
    pool_size: int = doc("Connections kept open per process (PostgreSQL only).", 5)
    connect_timeout: int = doc("Seconds to wait for a database connection.", 5)


@dataclass(frozen=True)
class RedisSettings:
    url: str = doc(
        "Redis URL for short-lived data (codes, sessions, counters). Empty means a SQL "
        "table in the durable database.",
        "",
    )
    prefix: str = doc(
        "Prefix for every key Tongban writes, so instances can share a Redis.", "tongban:"
    )
    timeout: float = doc("Seconds before a Redis command is given up as unreachable.", 2.0)


@dataclass(frozen=True)
class KeySettings:
    master_key_file: str = doc(
        "File holding the master key(s) that encrypt private keys at rest, relative to "
        "`data_dir`. `TONGBAN_MASTER_KEY` in the environment takes precedence.",
        "master.key",
    )
    algorithm: Algorithm = doc(
        "Algorithm of access tokens, logout tokens, and ID tokens of clients that do not "
        "choose one.",
        "ES256",
    )
    rotate_after_days: int = doc("Age at which `tongban keys rotate --if-due` rotates a key.", 90)
    retired_publish_seconds: int = doc(
        "How long a retired key's public half stays published: at least the lifetime of "
        "the longest-lived token it signed.",
        86400,
    )
    cache_seconds: int = doc(
        "How long a process keeps the active key and JWKS before re-reading the database. "
        "Rotation publishes the next key in advance, so this staleness is harmless.",
        10,
    )


@dataclass(frozen=True)
class ServerSettings:
    host: str = doc("Address `tongban serve` binds to.", "127.0.0.1")
    port: int = doc("Port `tongban serve` binds to.", 8000)
    workers: int = doc("Worker processes (one per core is a good start).", 1)
    threads: int = doc(
        "Threads per worker that run requests. A few suffice: Python runs one at a time, "
        "and more only queue behind the GIL.",
        4,
    )
    proxy_hops: int = doc(
        "Reverse proxies in front whose X-Forwarded-For/-Proto are trusted (0 = none).", 0
    )
    max_body_bytes: int = doc("Largest request body accepted, in bytes.", 20 * 1024 * 1024)


@dataclass(frozen=True)
class IdpSettings:
    code_seconds: int = doc(
        "Lifetime of an authorization code (RFC 6749 §4.1.2: at most 10 min).", 60
    )
    access_token_seconds: int = doc("Lifetime of access tokens (RFC 9068 JWTs).", 600)
    id_token_seconds: int = doc("Lifetime of ID tokens.", 600)
    refresh_token_seconds: int = doc(
        "Lifetime of a refresh token family from its login.", 30 * 86400
    )
    refresh_grace_seconds: int = doc(
        "How long a just-rotated refresh token may be presented again (two refreshes "
        "racing) before reuse is treated as theft and its whole family is revoked.",
        10,
    )
    par_seconds: int = doc("Lifetime of a pushed authorization request_uri (RFC 9126).", 60)
    session_idle_seconds: int = doc("A browser session ends after this long unused.", 30 * 60)
    session_max_seconds: int = doc(
        "A browser session ends this long after login, however used.", 12 * 3600
    )
    interaction_seconds: int = doc("Time a person has to log in and consent.", 15 * 60)
    argon2_memory_kib: int = doc(
        "Argon2id memory per password hash, KiB (OWASP minimum 19456 = 19 MiB).", 19456
    )
    argon2_iterations: int = doc("Argon2id passes (OWASP minimum 2 at 19 MiB).", 2)
    argon2_concurrency: int = doc(
        "Password hashes a worker process computes at once (others queue): its cores. More "
        "only makes the memory-hard hashes evict each other from the CPU caches.",
        1,
    )
    registration: Literal["closed", "initial_access_token"] = doc(
        "Dynamic Client Registration (RFC 7591): `closed`, or open to holders of an "
        "initial access token from `tongban client registration-token`.",
        "initial_access_token",
    )


@dataclass(frozen=True)
class SMSSettings:
    kind: SMSKind = doc(
        "`dev` keeps texts in an outbox shown at `/dev/sms` (development mode only), `http` "
        "sends them through the gateway below, `off` disables SMS codes (no self-registration, "
        "no SMS login). Production refuses `dev`.",
        "dev",
    )
    url: str = doc(
        "URL the `http` gateway adapter POSTs each signed message to (https in production).",
        "",
    )
    account: str = doc("Account (client) id the SMS gateway issued to Tongban.", "")
    secret: str = doc(
        "Shared secret that signs requests to the SMS gateway (HMAC-SHA256).", "", secret=True
    )
    timeout: float = doc("Seconds to wait for the SMS gateway per attempt.", 5.0)
    retries: int = doc("Extra attempts after a timeout or a 5xx from the SMS gateway.", 2)


@dataclass(frozen=True)
class RegistrySettings:
    kind: RegistryKind = doc(
        "Real-name registry: `local` (tables loaded by `tongban registry import`) or `http` "
        "(the verification service of `docs/registry-http-contract.md`).",
        "local",
    )
    url: str = doc("Base URL of the `http` registry (https in production).", "")
    client_id: str = doc("Client id the `http` registry issued to Tongban.", "")
    secret: str = doc("Shared secret that signs requests to the `http` registry.", "", secret=True)
    timeout: float = doc("Seconds to wait for the `http` registry per attempt.", 3.0)
    retries: int = doc("Extra attempts after a timeout or a 5xx from the `http` registry.", 1)


@dataclass(frozen=True)
class AuthnSettings:
    self_registration: bool = doc(
        "Citizens may register themselves at `/register` (phone + SMS code).", True
    )
    otp_seconds: int = doc("Lifetime of an SMS code.", 300)
    otp_attempts: int = doc("Wrong tries after which an SMS code is void.", 5)
    otp_per_phone_hour: int = doc("SMS codes one number may receive per hour.", 5)
    otp_per_address_hour: int = doc("SMS codes one client address may request per hour.", 20)
    free_failures_pair: int = doc(
        "Failed logins for one login name from one address before delays start.", 5
    )
    free_failures_account: int = doc(
        "Failed logins for one login name from anywhere before delays start.", 10
    )
    free_failures_address: int = doc(
        "Failed logins from one address, any name, before delays start.", 50
    )
    lockout_max_seconds: int = doc(
        "Longest delay a run of failures can impose (the back-off doubles up to this cap, so "
        "nobody can be locked out for good).",
        900,
    )
    failure_window_seconds: int = doc(
        "Failed logins are forgotten this long after the first.", 86400
    )
    webauthn_rp_id: str = doc(
        "WebAuthn relying party id for passkeys: the issuer's host name when empty. Browsers "
        "refuse passkeys on an IP-address origin: develop on `http://localhost:8000`.",
        "",
    )


@dataclass(frozen=True)
class CertificateSettings:
    roots_file: str = doc(
        "PEM file of the enterprise CA certificates trusted for certificate login (roots, and "
        "intermediates a proxy does not forward), relative to `data_dir`. Empty: certificate "
        "login is off.",
        "",
    )
    check_crl: bool = doc(
        "Check revocation with the CRL at each certificate's distribution point; a CA that "
        "publishes one must answer, or the login is refused.",
        True,
    )
    crl_timeout: float = doc("Seconds to wait for a CRL download.", 5.0)
    crl_cache_seconds: int = doc(
        "Longest time a downloaded CRL is reused (never past its nextUpdate).", 3600
    )
    challenge_seconds: int = doc("Lifetime of a certificate login challenge.", 300)
    proxy_header: str = doc(
        "Request header in which a TLS-terminating reverse proxy forwards the client "
        "certificate (URL-encoded PEM, nginx `$ssl_client_escaped_cert`). Empty: not accepted.",
        "",
    )
    proxy_addresses: str = doc(
        "Comma-separated addresses or networks of the proxies trusted to set `proxy_header`.",
        "",
    )


@dataclass(frozen=True)
class SigningSettings:
    ca_organization: str = doc(
        "Organization (O) named in the internal CA's certificates, set when `tongban init` "
        "creates the CA.",
        "通办电子印章服务",
    )
    ca_province: str = doc("Province (ST) named in the CA's certificates; empty for none.", "")
    tsa_url: str = doc(
        "URL of an external RFC 3161 timestamp authority. Empty means Tongban's own TSA, "
        "in-process. An external TSA's root must be in `trusted_roots_file`.",
        "",
    )
    tsa_timeout: float = doc("Seconds to wait for the external timestamp authority.", 10.0)
    trusted_roots_file: str = doc(
        "PEM file of further roots verification trusts (external seal CAs, an external TSA), "
        "relative to `data_dir`. Empty: only Tongban's own root.",
        "",
    )
    max_pdf_bytes: int = doc(
        "Largest PDF accepted for stamping or verification, in bytes.", 20 * 1024 * 1024
    )
    max_batch_items: int = doc("Most approvals in one batch submission.", 500)
    reason: str = doc("The /Reason written into every seal's signature.", "行政审批")
    location: str = doc("The /Location written into every seal's signature; empty for none.", "")


@dataclass(frozen=True)
class FederationSettings:
    issuer: str = doc(
        "Issuer of the upstream OpenID Connect provider people may log in through (the "
        "national government service platform, another province's Tongban). Empty: "
        "federation is off. Its discovery document must name exactly this issuer.",
        "",
    )
    client_id: str = doc("Client id the upstream provider registered for Tongban.", "")
    client_secret: str = doc(
        "Client secret for the upstream's token endpoint (`client_secret_basic`).",
        "",
        secret=True,
    )
    name: str = doc(
        "The upstream's name on the login button (使用 {name} 登录).", "国家政务服务平台"
    )
    name_en: str = doc(
        "The upstream's name on the English login page.", "National Government Service Platform"
    )
    scopes: str = doc(
        "Scopes asked of the upstream, space-separated; `openid` is required. The defaults "
        "fit a Tongban upstream whose client may receive ID numbers.",
        "openid profile realname idnumber phone",
    )
    acr_levels: str = doc(
        "How the upstream's `acr` values map to local levels of assurance: "
        "space-separated `acr=level` pairs (level 1 to 3). An `acr` not listed counts as "
        "level 1. The default reads a Tongban upstream's own levels one to one.",
        "urn:tongban:loa:1=1 urn:tongban:loa:2=2 urn:tongban:loa:3=3",
    )
    max_level: int = doc(
        "The highest level a federated login may reach here, whatever the upstream asserts "
        "(2: its real-name verification is trusted, its strong authentication is not).",
        2,
    )
    name_claim: str = doc(
        "Claim with the person's legal name (`name` is used when it is missing).", "legal_name"
    )
    id_number_claim: str = doc(
        "Claim with the verified ID number; trusted only at a mapped level of 2 or more.",
        "id_number",
    )
    id_type_claim: str = doc(
        "Claim with the document type (`resident_id` when missing).", "id_type"
    )
    phone_claim: str = doc("Claim with the mobile number (`+86…`).", "phone_number")
    userinfo: bool = doc(
        "Also fetch the upstream's userinfo endpoint for claims the ID token lacks.", True
    )
    create_accounts: bool = doc(
        "Create an account for an upstream person who has none here. Off: only people "
        "whose verified ID number matches an account here (or who were linked before) "
        "may log in through the upstream.",
        True,
    )
    timeout: float = doc("Seconds to wait for each request to the upstream.", 5.0)
    state_seconds: int = doc("Time a person has to log in at the upstream and come back.", 10 * 60)
    metadata_cache_seconds: int = doc(
        "How long the upstream's discovery document and keys are reused (an unknown `kid` "
        "re-reads the keys at once, at most every 30 seconds).",
        3600,
    )
    leeway_seconds: int = doc("Clock difference tolerated when checking ID token times.", 60)


@dataclass(frozen=True)
class WorkerSettings:
    embedded: bool = doc(
        "Run the outbox worker (back-channel logout notices, and later publications) inside "
        "`tongban serve`. Turn off when `tongban worker` runs separately.",
        True,
    )
    interval: float = doc("Seconds between looks for due outbox messages.", 1.0)


@dataclass(frozen=True)
class LicenceSettings:
    public_url: str = doc(
        "Public https base URL printed in licence QR codes (`<public_url>/v/01…`) and in "
        "status list URIs (`<public_url>/s/<n>`). Empty means the issuer with https.",
        "",
    )
    operator_name: str = doc(
        "The operator named in the licence trust list and its root key entry.", "通办电子证照"
    )
    operator_code: str = doc(
        "The operator's unified social credit code, in the trust list's root key entry.",
        "000000000000000000",
    )
    trust_list_seconds: int = doc(
        "Lifetime (`exp`) of a signed trust list; a fresh one is signed after half of it.",
        7 * 86400,
    )
    status_list_seconds: int = doc(
        "Lifetime (`exp`) of a signed status list; a fresh one is signed after half of it.",
        86400,
    )
    status_list_ttl: int = doc(
        "The `ttl` of status lists: how long verifiers may cache one before refetching.", 3600
    )
    status_list_size: int = doc(
        "Entries per status list (2 bits each); indices are drawn at random from it.", 1 << 17
    )
    key_grace_seconds: int = doc(
        "How long after rotation a retired licence key still counts as valid in the trust "
        "list, covering processes that cached it (at least `keys.cache_seconds`).",
        300,
    )


@dataclass(frozen=True)
class LogSettings:
    level: LogLevel = doc("Lowest level written to the log.", "INFO")
    format: LogFormat = doc("`json` (one object a line, for collectors) or `text`.", "json")
    access: bool = doc("Write one line per HTTP request (method, path, status, duration).", True)


@dataclass(frozen=True)
class Settings:
    mode: Mode = doc(
        "`development` or `production`. Production refuses an http issuer, the default "
        "secret and a key file others can read.",
        "development",
    )
    issuer: str = doc(
        "Public base URL of this service; the OpenID Connect issuer identifier.",
        "http://127.0.0.1:8000",
    )
    secret_key: str = doc(
        "Secret for signed cookies and CSRF tokens; at least 32 characters in production.",
        DEFAULT_SECRET,
        secret=True,
    )
    data_dir: Path = doc(
        "Folder for the config file, the SQLite database and the key file. Set by "
        "`TONGBAN_DATA_DIR` (default `./var`), not in the file itself.",
        Path("var"),
    )
    database: DatabaseSettings = field(
        default_factory=DatabaseSettings, metadata={"doc": "The durable database."}
    )
    redis: RedisSettings = field(
        default_factory=RedisSettings, metadata={"doc": "The ephemeral store."}
    )
    keys: KeySettings = field(default_factory=KeySettings, metadata={"doc": "Signing keys."})
    server: ServerSettings = field(
        default_factory=ServerSettings, metadata={"doc": "The HTTP server."}
    )
    idp: IdpSettings = field(
        default_factory=IdpSettings, metadata={"doc": "The OpenID Connect provider."}
    )
    sms: SMSSettings = field(
        default_factory=SMSSettings, metadata={"doc": "The SMS gateway for one-time codes."}
    )
    registry: RegistrySettings = field(
        default_factory=RegistrySettings, metadata={"doc": "The real-name registry."}
    )
    authn: AuthnSettings = field(
        default_factory=AuthnSettings,
        metadata={"doc": "Registration, one-time codes, login throttling, passkeys."},
    )
    certificates: CertificateSettings = field(
        default_factory=CertificateSettings,
        metadata={"doc": "Enterprise digital certificate login."},
    )
    signing: SigningSettings = field(
        default_factory=SigningSettings, metadata={"doc": "Seals, the internal CA, stamping."}
    )
    federation: FederationSettings = field(
        default_factory=FederationSettings,
        metadata={"doc": "Login through an upstream OpenID Connect provider."},
    )
    worker: WorkerSettings = field(
        default_factory=WorkerSettings, metadata={"doc": "The outbox worker."}
    )
    licences: LicenceSettings = field(
        default_factory=LicenceSettings, metadata={"doc": "E-licences (电子证照)."}
    )
    log: LogSettings = field(default_factory=LogSettings, metadata={"doc": "Logging."})

    @property
    def production(self) -> bool:
        return self.mode == "production"

    @property
    def database_url(self) -> str:
        """The database URL, with the SQLite default resolved inside ``data_dir``."""
        if self.database.url:
            return self.database.url
        return f"sqlite:///{(self.data_dir / 'tongban.sqlite3').resolve()}"

    @property
    def certificate_roots_path(self) -> Path | None:
        if not self.certificates.roots_file:
            return None
        path = Path(self.certificates.roots_file)
        return path if path.is_absolute() else self.data_dir / path

    @property
    def licence_url(self) -> str:
        """The https base of licence URLs: ``licences.public_url`` or the issuer as https."""
        url = self.licences.public_url or self.issuer
        if url.startswith("http://"):
            url = "https://" + url[len("http://") :]
        return url.rstrip("/")

    @property
    def master_key_path(self) -> Path:
        path = Path(self.keys.master_key_file)
        return path if path.is_absolute() else self.data_dir / path

"""Pre-flight checks shared by `tongban check` and `tongban serve`."""

from __future__ import annotations

import os
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import TypeVar

from config.errors import TongbanError
from config.load import config_path_from
from config.load import load
from config.settings import Settings
from keys.master import load_master_keys
from store.migrate import current_revision
from store.migrate import require_current
from tongban.runtime import MIGRATIONS
from tongban.runtime import REQUIRED_KEY_PURPOSES
from tongban.runtime import Runtime
from tongban.runtime import build_runtime

T = TypeVar("T")


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    message: str


@dataclass
class CheckReport:
    results: list[CheckResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    def run(self, name: str, step: Callable[[], tuple[T, str]]) -> T | None:
        """Run ``step``; record its message, or the error's. Return its value or None."""
        try:
            value, message = step()
        except TongbanError as exc:
            self.results.append(CheckResult(name, False, exc.message))
            return None
        self.results.append(CheckResult(name, True, message))
        return value


def run_checks(environ: Mapping[str, str] | None = None) -> CheckReport:
    """Settings, master key, database, schema, ephemeral store, keys, in that order.

    A check that depends on a failed one is not run.
    """
    env = os.environ if environ is None else environ
    report = CheckReport()
    path = config_path_from(env)

    def settings_step() -> tuple[object, str]:
        settings = load(env)
        source = str(path) if path.exists() else "defaults (no config file)"
        return settings, f"{source}, {settings.mode} mode, issuer {settings.issuer}"

    settings = report.run("settings", settings_step)
    if settings is None:
        return report
    if not isinstance(settings, Settings):  # pragma: no cover (load returns Settings)
        raise TypeError("load() did not return Settings")

    def master_step() -> tuple[bool, str]:
        master = load_master_keys(env, settings.master_key_path)
        source = "TONGBAN_MASTER_KEY" if env.get("TONGBAN_MASTER_KEY") else settings.master_key_path
        return True, f"{len(master.keys)} key(s) from {source}, primary {master.primary.key_id}"

    if report.run("master key", master_step) is None:
        return report
    rt = build_runtime(settings, env)
    try:
        _check_stores(report, rt)
    finally:
        rt.db.dispose()
    return report


def _check_stores(report: CheckReport, rt: Runtime) -> None:
    def database() -> tuple[bool, str]:
        rt.db.ping()
        return True, rt.db.safe_url

    def schema() -> tuple[bool, str]:
        require_current(rt.db, MIGRATIONS)
        return True, f"at revision {current_revision(rt.db)} (newest)"

    def ephemeral() -> tuple[bool, str]:
        rt.ephemeral.ping()
        if rt.settings.redis.url:
            return True, f"Redis at {rt.settings.redis.url.rsplit('@', 1)[-1]}"
        return True, "a table in the database (no Redis configured)"

    def keys() -> tuple[bool, str]:
        count = rt.keys.check()
        active = [
            f"{p}: {s.alg} {s.kid}" for p in REQUIRED_KEY_PURPOSES for s in [rt.keys.active(p)]
        ]
        return True, f"{count} key(s) decrypt; active " + ", ".join(active)

    schema_ok = report.run("database", database) and report.run("schema", schema)
    report.run("ephemeral store", ephemeral)
    if schema_ok:
        report.run("keys", keys)

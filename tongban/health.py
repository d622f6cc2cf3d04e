"""Liveness, readiness and metrics endpoints for operators and orchestrators."""

from __future__ import annotations

import logging
from typing import Final

from flask import Blueprint
from flask import Response
from flask import jsonify

from config.errors import TongbanError
from store.migrate import require_current
from tongban.metrics import exposition
from tongban.runtime import MIGRATIONS
from tongban.runtime import REQUIRED_KEY_PURPOSES
from tongban.runtime import runtime

bp = Blueprint("health", __name__)
log = logging.getLogger("tongban.health")
NOT_READY: Final = 503


@bp.get("/healthz")
def healthz() -> Response:
    """The process is alive and serving; says nothing about its dependencies."""
    return jsonify(status="alive")


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Ready to serve: database reachable and migrated, ephemeral store and keys usable.

    Failures are named by component only; the reason goes to the log, not to the
    caller, so the endpoint reveals no addresses.
    """
    rt = runtime()
    checks: dict[str, str] = {}

    def run(name: str, check: object) -> None:
        try:
            check()  # type: ignore[operator]
            checks[name] = "ok"
        except TongbanError as exc:
            checks[name] = exc.code
            log.warning("readiness check %s failed: %s", name, exc.message)

    run("database", rt.db.ping)
    if checks["database"] == "ok":
        run("schema", lambda: require_current(rt.db, MIGRATIONS))
    run("ephemeral", rt.ephemeral.ping)
    run("keys", lambda: [rt.keys.active(purpose) for purpose in REQUIRED_KEY_PURPOSES])
    ready = all(v == "ok" for v in checks.values())
    return jsonify(status="ready" if ready else "unavailable", checks=checks), (
        200 if ready else NOT_READY
    )


@bp.get("/metrics")
def metrics() -> Response:
    body, content_type = exposition()
    return Response(
        body, mimetype=content_type.split(";")[0], headers={"Cache-Control": "no-store"}
    )

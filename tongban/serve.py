"""`tongban serve`: run the app under granian.

Granian rather than gunicorn: on this project's measurements (shared/research/
python-stack.md) granian's WSGI worker served the same Flask + Authlib token endpoint
about twice as fast as gunicorn's (4,520 vs 2,424 requests/s per core), and it keeps
connections alive where gunicorn's sync worker closes each one. See
docs/decisions/0003-granian.md.
"""

from __future__ import annotations

import os
import shutil

from granian import Granian
from granian.constants import Interfaces

from config.settings import Settings


def serve(settings: Settings) -> None:
    """Serve until stopped. Workers rebuild the app from the same environment."""
    if settings.server.workers > 1:
        metrics_dir = settings.data_dir / "run" / "metrics"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True, mode=0o700)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir.resolve())
    if settings.worker.embedded:
        # The outbox worker runs in the supervising process; request workers stay lean.
        from tongban.runtime import build_runtime
        from tongban.worker import start_worker

        start_worker(build_runtime(settings))
    server = Granian(
        "tongban.wsgi:create_app",
        factory=True,
        interface=Interfaces.WSGI,
        address=settings.server.host,
        port=settings.server.port,
        workers=settings.server.workers,
        blocking_threads=settings.server.threads,
        backpressure=settings.server.threads,
        log_access=False,  # Tongban writes its own access log, without query strings.
        respawn_failed_workers=True,
    )
    server.serve()

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
import subprocess
import sys

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
    worker = None
    if settings.worker.embedded:
        # The outbox worker runs as a child process of its own. Not a thread here: granian
        # forks its request workers from this process, and SQLite connections (and their
        # file locks) must never be shared across a fork.
        worker = subprocess.Popen([sys.executable, "-m", "tongban", "worker"])
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
    try:
        server.serve()
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(10)
            except subprocess.TimeoutExpired:
                worker.kill()

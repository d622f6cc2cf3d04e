"""The WSGI entry point: ``granian --interface wsgi --factory tongban.wsgi:create_app``."""

from __future__ import annotations

from flask import Flask

from tongban.app import create_app as _create_app


def create_app() -> Flask:
    """Build the app from the environment (``TONGBAN_DATA_DIR``, ``TONGBAN_*``)."""
    return _create_app()
